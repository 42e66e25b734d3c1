// Imported first by the bins: better-sqlite3 13, chokidar 5 and the Prometheus client need Node >= 22, and an
// older Node can crash inside the native module instead of failing with a message.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(
    `lookout: Node.js ${process.versions.node} is too old; Node 22 or newer is needed (24 LTS recommended). ` +
      'Inside this repository, run through npm scripts (npm start), which use the Node 24 pinned in devDependencies.'
  );
  process.exit(1);
}
export {};
