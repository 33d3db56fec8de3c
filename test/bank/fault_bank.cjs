// A misbehaving bank for the fault tests, run as its own process: it forwards to a real bank (the
// sandbox bank process) until told over stdin to misbehave. Plain JavaScript so that node runs it
// without a build step. Usage: node fault_bank.cjs <upstream base URL>; prints {"url":…} when listening;
// each stdin line is a mode, acknowledged by printing {"mode":…}; the line `report` is answered with the
// Idempotency-Key of every payment order received so far.
const http = require('node:http');

const upstream = new URL(process.argv[2]);
let mode = 'pass';
let dieOnce = false;
const paymentKeys = [];

const WRONG_TYPES = JSON.stringify({
  status: 5,
  psuId: 3,
  displayName: false,
  accounts: 'none',
  resourceId: 1,
  balances: 7,
  transactions: null,
  total: 'many',
  transactionStatus: 9,
  allowed: 'yes',
});

/**
 * Sends the request on to the real bank and relays its answer; with `dropAnswer` the bank still books
 * the order, but its answer never reaches the gateway: the connection drops instead.
 */
function forward(req, res, body, dropAnswer = false) {
  const out = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: upstream.host },
    },
    (answer) => {
      if (dropAnswer) {
        answer.resume();
        answer.on('end', () => res.socket.destroy());
        return;
      }
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  out.on('error', () => res.destroy());
  out.end(body);
}

const server = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const json = (status, text, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(text);
    };
    if (dieOnce) {
      dieOnce = false;
      res.socket.destroy();
      return;
    }
    // Payment orders only: the bank's reads keep working (the PSU's accounts for the approval page).
    const paymentOrder = req.method === 'POST' && req.url.endsWith('/bank/v1/payments');
    if (paymentOrder) paymentKeys.push(req.headers['idempotency-key']);
    if (paymentOrder && mode === 'payments-unreachable') return res.socket.destroy();
    if (paymentOrder && mode === 'payments-answer-lost') return forward(req, res, body, true);
    switch (mode) {
      case 'garbage':
        return json(200, '<html>Service temporarily moved</html>');
      case 'large':
        return json(200, JSON.stringify({ filler: 'x'.repeat(3 * 1024 * 1024) }));
      case 'wrong-types':
        return json(200, WRONG_TYPES);
      case 'bank-error':
        return json(
          500,
          JSON.stringify({
            status: 500,
            code: 'INTERNAL_ERROR',
            title: 'core banking said: ORA-00942 at PKG_ACCOUNTS line 12',
          }),
        );
      case 'busy':
        return json(503, JSON.stringify({ status: 503, code: 'UNAVAILABLE', title: 'batch window' }), {
          'retry-after': '7',
        });
      case 'slow':
        // Never answers; the gateway's deadline must end the wait.
        return;
      case 'drip': {
        // Answers at once, then a byte of body now and then, never finishing: no pause is long enough for
        // a per-read idle timeout, only the whole call's deadline ends it.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"balances":[');
        const drip = setInterval(() => res.write(' '), 100);
        res.on('close', () => clearInterval(drip));
        return;
      }
      case 'large-chunked': {
        // Too large, without a content-length that would give it away before the body arrives.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"filler":"');
        for (let i = 0; i < 48; i++) res.write('x'.repeat(64 * 1024));
        res.end('"}');
        return;
      }
      case 'die':
        // Headers and half a body, then the connection drops: the bank died mid-answer.
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"accounts":[');
        setTimeout(() => res.socket.destroy(), 20);
        return;
      default:
        return forward(req, res, body);
    }
  });
});

process.stdin.setEncoding('utf8');
let pending = '';
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline;
  while ((newline = pending.indexOf('\n')) >= 0) {
    const line = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    if (line === 'die-once') dieOnce = true;
    else if (line !== 'report') mode = line;
    process.stdout.write(`${JSON.stringify({ mode: line, paymentKeys })}\n`);
  }
});
process.stdin.on('end', () => process.exit(0));

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` })}\n`);
});
