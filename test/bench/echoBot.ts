// The baseline for `npm run bench:turns`: a bare botbuilder echo bot on the assistant's server stack (restify with the
// same body parser and limit, CloudAdapter, anonymous Bot Framework auth) and nothing else: no state, no dialogs.
// Run as its own process: `node --import tsx test/bench/echoBot.ts`; PORT (default 0) and HOST (default 127.0.0.1).
// Prints "listening on URL/api/messages" once it listens.
import { ActivityHandler, CloudAdapter, ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import restify from 'restify';
import { maxBodyBytes } from '../../bot/server.js';

const bot = new ActivityHandler().onMessage(async (context, next) => {
  await context.sendActivity(`echo: ${context.activity.text ?? ''}`);
  await next();
});
// No app id: anonymous local mode, as the assistant runs in the bench.
const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));

const server = restify.createServer({ name: 'echo-bot', handleUncaughtExceptions: false });
server.use(restify.plugins.bodyParser({ maxBodySize: maxBodyBytes, mapParams: false, mapFiles: false }));
server.post('/api/messages', async (req, res) => {
  await adapter.process(req, res, (context) => bot.run(context));
});

server.listen(Number(process.env['PORT'] ?? 0), process.env['HOST'] ?? '127.0.0.1', () => {
  console.log(`echo bot listening on ${server.url}/api/messages`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
