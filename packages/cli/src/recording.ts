/**
 * The `transcript` section of the coordinator and node configs: opens this party's transcript
 * (@tessera/audit's TranscriptWriter, every record synced) and writes its session entry — or, when the
 * folder already holds this session's transcript (a restart), continues its chain.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { TranscriptWriter } from '@tessera/audit';
import { equalBytes, type Identity } from '@tessera/crypto';
import { FileError, NodeErrorCodes, type TranscriptConfig } from '@tessera/node';
import type { Session } from '@tessera/secagg';

/**
 * Opens the transcript of `recorder` (0: the coordinator) for `session`.
 *
 * @example
 * const transcript = config.transcript && (await openRecording(config.transcript, 0, identity, session, config.file, roster.name));
 */
export async function openRecording(t: TranscriptConfig, recorder: number, identity: Identity, session: Session, configFile: string, rosterName: string): Promise<TranscriptWriter> {
  try {
    await mkdir(t.dir, { recursive: true });
  } catch (e) {
    throw new FileError(configFile, 'transcript.dir', `is ${t.dir}, which cannot be created: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_INVALID, { cause: e });
  }
  let w: TranscriptWriter;
  try {
    w = await TranscriptWriter.open(t.dir, { recorder, identity, digestsOnly: t.digestsOnly });
  } catch (e) {
    throw new FileError(configFile, 'transcript.dir', `is ${t.dir}, whose transcript cannot be continued: ${(e as Error).message}`, NodeErrorCodes.FILE_INVALID, { cause: e });
  }
  if (w.session === undefined) await w.appendSession({ session, privacy: null, extra: { kind: 'tessera/secure-sum', roster: rosterName } });
  else if (!equalBytes(w.session.digest, session.digest)) {
    await w.close();
    throw new FileError(configFile, 'transcript.dir', `is ${t.dir}, which holds the transcript of another session: give this session its own folder`, NodeErrorCodes.OUT_IN_USE);
  }
  return w;
}
