// The reference graphql-transport-ws client (npm graphql-ws, with ws as Node's WebSocket) on one
// subscription: prints its first COUNT messages as JSON lines, then disposes of the client.
// Usage: node graphql_ws_client.cjs DIR URL, where DIR holds node_modules/graphql-ws and ws.
// Environment: SWITCHBOARD_TOKEN (bearer token for connection_init), SWITCHBOARD_QUERY (the
// subscription document), SWITCHBOARD_VARIABLES (JSON object, optional), SWITCHBOARD_COUNT (2).
// Exits 0 after COUNT messages, 1 on an error or a completion before them.
const path = require('path');
const { createRequire } = require('module');

const [dir, url] = process.argv.slice(2);
const load = createRequire(path.join(path.resolve(dir), 'package.json'));
const { createClient } = load('graphql-ws');
const WebSocket = load('ws');

const count = Number(process.env.SWITCHBOARD_COUNT || '2');
const query = process.env.SWITCHBOARD_QUERY;
const variables = JSON.parse(process.env.SWITCHBOARD_VARIABLES || '{}');
if (!query) {
  console.error('SWITCHBOARD_QUERY is not set');
  process.exit(2);
}

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${process.env.SWITCHBOARD_TOKEN}` },
  retryAttempts: 0,
  on: { closed: (event) => { if (seen < count) fail(`closed after ${seen} messages: ${event.code} ${event.reason}`); } },
});

let seen = 0;
function fail(message) {
  console.error(message);
  process.exit(1);
}

const unsubscribe = client.subscribe({ query, variables }, {
  next(message) {
    seen += 1;
    process.stdout.write(`${JSON.stringify(message)}\n`);
    if (seen === count) {
      unsubscribe();
      client.dispose().then(() => process.exit(0));
    }
  },
  error(error) { fail(`error: ${error instanceof Error ? error.message : JSON.stringify(error)}`); },
  complete() { if (seen < count) fail(`completed after ${seen} messages`); },
});
