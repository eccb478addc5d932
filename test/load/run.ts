// `npm run test:load`: 200 conversations at once (LOAD_CONVERSATIONS to change it), each walking its own 20 turns
// against the real app over HTTP on the embedded store in a temporary DATA_DIR, or on STORAGE=azure with
// AZURE_STORAGE_CONNECTION_STRING when they are set. Prints the figures, then a JSON line; exits 1 on any error, any
// reply that was not the conversation's own, or any error the app logged.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeLoad, maxConversations, runLoad } from './conversations.js';

const conversations = Number(process.env['LOAD_CONVERSATIONS'] ?? 200);
if (!Number.isInteger(conversations) || conversations < 1 || conversations > maxConversations) {
  console.error(`LOAD_CONVERSATIONS must be a whole number from 1 to ${maxConversations}`);
  process.exit(2);
}
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'smartcard-load-'));
try {
  console.log(`${conversations} conversations at once, 20 turns each, on ${process.env['STORAGE'] === 'azure' ? 'Azure Storage' : `the embedded store in ${dataDir}`}...`);
  const report = await runLoad({ conversations, dataDir });
  console.log(describeLoad(report));
  for (const failure of report.failures.slice(0, 10)) console.log(`\n${failure}`);
  if (report.failures.length > 10) console.log(`\n...and ${report.failures.length - 10} more`);
  if (report.logMessages.length > 0) console.log(`\nthe app logged: ${report.logMessages.join('; ')}`);
  const { failures: _failures, logMessages: _messages, ...figures } = report;
  console.log(JSON.stringify({ ...figures, wrong: report.failures.length }));
  const passed = report.errors === 0 && report.failures.length === 0 && report.loggedErrors === 0 && report.verified === conversations;
  process.exitCode = passed ? 0 : 1;
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
