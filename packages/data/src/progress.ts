/**
 * Download progress: a callback type, and the default terminal bar (cli-progress on a TTY; a line at
 * the start and the end otherwise, so logs stay readable).
 * @module
 */
import cliProgress from 'cli-progress';

/** Bytes received so far and the total when the server said it (Content-Length). */
export interface Progress {
  readonly received: number;
  readonly total: number | undefined;
  /** True on the last call, once the body has ended. */
  readonly done: boolean;
}

/** Called as a download proceeds: at the start (received 0), after every chunk, and once when done. */
export type ProgressCallback = (p: Progress) => void;

const mb = (n: number): string => (n / 1e6).toFixed(1);

/**
 * A progress callback drawing a bar on `stream` (default stderr) when it is a terminal.
 *
 * @example
 * await downloadFile({ url, dest, accept, onProgress: progressBar('pneumoniamnist.npz') });
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): ProgressCallback {
  let bar: cliProgress.SingleBar | undefined;
  let started = false;
  return (p) => {
    if (!stream.isTTY) {
      if (!started) stream.write(`downloading ${label}${p.total !== undefined ? ` (${mb(p.total)} MB)` : ''}…\n`);
      else if (p.done) stream.write(`downloaded ${label}: ${mb(p.received)} MB\n`);
      started = true;
      return;
    }
    if (!bar) {
      // Without a Content-Length there is no fraction to draw: show the bytes received and the time.
      const format =
        p.total !== undefined
          ? `${label} [{bar}] {percentage}% | {value_mb}/{total_mb} MB | ETA {eta_formatted}`
          : `${label} {value_mb} MB | {duration_formatted}`;
      bar = new cliProgress.SingleBar({ stream, format, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
      bar.start(p.total ?? 0, 0, { value_mb: mb(0), total_mb: p.total !== undefined ? mb(p.total) : '?' });
    }
    bar.update(p.received, { value_mb: mb(p.received), total_mb: p.total !== undefined ? mb(p.total) : '?' });
    if (p.done) bar.stop();
  };
}
