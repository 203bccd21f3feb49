// Exported as static files (out/), which the workspace serves without a Node.js server process
// of Next's own; `npm run dev` gives the full dev server.
export default { output: 'export' };
