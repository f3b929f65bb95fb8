// The baseline: the least a Node 24 HTTP server can do to answer the hello module's response.
import { createServer } from 'node:http';
import { HELLO_BODY } from '../hello.js';

const port = Number(process.env.PORT);
const server = createServer((_req, res) => {
  res.writeHead(200, ['content-type', 'text/plain;charset=UTF-8']);
  res.end(HELLO_BODY);
});
server.listen(port, '127.0.0.1');
process.once('SIGTERM', () => process.exit(0));
