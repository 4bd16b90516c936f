/** Known answers: the worked example of docs/transcript.md, byte for byte. */
import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { concat, decodeCanonical, encodeCanonical, fromHex, sha256, toHex, utf8, verifySignature, type Canonical } from '@tessera/crypto';
import { TranscriptWriter, verifyIntegrity } from '../src/index.js';
import { cleanup, tempDir } from './helpers.js';
import { KAT_TIME, katServer, katSession } from './kat.js';

const RECORD_0 =
  '0000023aab61760163736571006373696758400ae83a1d2e1acb02f8e62654f7f1148f1a6156709d9d10874dd2226192c9fafecc96f6c7826765a7acc98297927cf7e793da554ee05a5a0d7ccf541294085d04646b696e646773657373696f6e64707265765820aa5abe637d238b24f11cab55d8b98694738041acbb3ce9ad3827cc66a5d157896472736967584082d43d39062a9e619b2fea043436a574c0124a7c07807ed4aef2937c2ac957f10ccece96f77a3e6bb83742eb7cd2877289104b47342582f88aaab1368d795e026474696d651b0000019ab697e800666469676573745820e5337fe0d1c0ee5fb8ee2a51e9cd4d8e8342a8abff2268e8856808b4e31410df66706172616d7358fdab646269747308656578747261f6656772617068a1646b696e6468636f6d706c6574656770726976616379f66776657273696f6e016870726f746f636f6c6e746573736572612d736563616767697365727665724b657958208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c6973657373696f6e496450000102030405060708090a0b0c0d0e0f697468726573686f6c64016a6d656d6265724b6579738258208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3945820ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d16c766563746f724c656e67746802667369676e657258208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c687265636f7264657200';
const HASH_0 = '5246f8c6082a13b49a798c28a793ab5bb8b5228d95160bf679aaeec9d70c7d5b';
const RECORD_1 =
  '000000b2aa61760163736571016464617461a0646b696e64646e6f7465647072657658205246f8c6082a13b49a798c28a793ab5bb8b5228d95160bf679aaeec9d70c7d5b64727369675840cfd4db52692d1fe7b07b4f334925f27737bda495802c08d5181b6f2f17ccdafdd1abdae490fe120498af0042bba1e4fabf9727c93827b16fce65cf9e72be79066474696d651b0000019ab697e800656576656e7465636c6f736565726f756e6400687265636f7264657200';

test('the worked example of docs/transcript.md, byte for byte', async (t) => {
  const dir = await tempDir();
  try {
    const w = await TranscriptWriter.open(dir, { recorder: 0, identity: katServer, clock: () => KAT_TIME });
    const a = await w.appendSession({ session: katSession, privacy: null, extra: null });
    await w.close();
    const file = new Uint8Array(await readFile(join(dir, 'transcript.tlog')));
    t.is(toHex(file), toHex(utf8('TESSERA-TRANSCRIPT\n')) + RECORD_0 + RECORD_1);
    t.is(toHex(a.hash), HASH_0);
    t.is(toHex(sha256(fromHex(RECORD_0).subarray(4))), HASH_0, 'the hash is over the entry bytes, without the length prefix');
    t.is(toHex(sha256(utf8('TESSERA-TRANSCRIPT\n'))), 'aa5abe637d238b24f11cab55d8b98694738041acbb3ce9ad3827cc66a5d15789');
    t.true((await verifyIntegrity(dir, { roster: katSession })).ok);
  } finally {
    await cleanup(dir);
  }
});

test('the example verifies by hand, as the spec says an independent verifier would', (t) => {
  const body = fromHex(RECORD_0).subarray(4);
  const e = decodeCanonical(body) as { [k: string]: Canonical };
  t.is(toHex(encodeCanonical(e)), toHex(body), 'canonical: re-encoding gives the same bytes');
  const { rsig, ...unsigned } = e;
  t.true(verifySignature(katServer.publicKey, concat(utf8('tessera/v1/transcript-entry\0'), encodeCanonical(unsigned)), rsig as Uint8Array));
  t.true(verifySignature(e.signer as Uint8Array, concat(utf8('tessera/v1/transcript-session\0'), e.params as Uint8Array), e.sig as Uint8Array));
  const params = decodeCanonical(e.params as Uint8Array) as { [k: string]: Canonical };
  const { privacy: _p, extra: _x, ...config } = params;
  t.is(toHex(sha256(encodeCanonical(config))), toHex(e.digest as Uint8Array), 'digest = SHA-256 of the params without privacy and extra');
  t.is(toHex(e.digest as Uint8Array), toHex(katSession.digest));
});
