// report: hands the validated batch to the ingest pipeline (group commit) and acks it after the
// commit that holds it. Replayed event ids are counted as duplicates, not stored again.
import type { Report } from '../../../../shared/src/protocol/index.js';
import type { Handler } from './index.js';

export const handleReport: Handler<Report> = async (ctx, conn, msg) => {
  const result = await ctx.ingest.submit(conn.deviceId, msg);
  conn.send({ type: 'ack', batchId: msg.batchId, ...result });
  conn.log.debug({ batchId: msg.batchId, ...result }, 'report committed');
};
