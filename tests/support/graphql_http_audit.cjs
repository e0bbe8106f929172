// The graphql-http server audits (GraphQL over HTTP conformance) against one URL.
// Usage: node graphql_http_audit.cjs DIR URL, where DIR holds node_modules/graphql-http.
// Prints a JSON list of {id, name, status, reason?} and exits 0 when the audits ran.
const path = require('path');
const { createRequire } = require('module');

const [dir, url] = process.argv.slice(2);
const { auditServer } = createRequire(path.join(path.resolve(dir), 'package.json'))('graphql-http');

auditServer({ url }).then(
  (results) => {
    const out = results.map((r) => (r.status === 'ok'
      ? { id: r.id, name: r.name, status: r.status }
      : { id: r.id, name: r.name, status: r.status, reason: r.reason }));
    process.stdout.write(JSON.stringify(out));
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
