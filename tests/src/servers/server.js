// certdesk-testkit: a Node.js https server that asks for a client certificate and decides in
// application code, the way the Node tutorials do (requestCert + rejectUnauthorized: false).
//
// Environment: PORT, SERVER_CERT, SERVER_KEY, CLIENT_CA (PEM files), optional CLIENT_CRL,
// REQUIRED_O, TLS_MIN / TLS_MAX ("TLSv1.2", "TLSv1.3"). Prints "listening" when ready.
//
// Answers: 401 {"error":"certificate required"} without a certificate; 401
// {"error":"certificate not accepted","reason":<authorizationError>} when it does not verify;
// 403 {"error":"organization not allowed",...} when REQUIRED_O is set and the subject's O
// differs; otherwise 200 "hello <CN>\n".
'use strict';

const fs = require('fs');
const https = require('https');

const env = process.env;
const options = {
  cert: fs.readFileSync(env.SERVER_CERT),
  key: fs.readFileSync(env.SERVER_KEY),
  ca: fs.readFileSync(env.CLIENT_CA),
  requestCert: true,
  rejectUnauthorized: false,
};
if (env.CLIENT_CRL) options.crl = fs.readFileSync(env.CLIENT_CRL);
if (env.TLS_MIN) options.minVersion = env.TLS_MIN;
if (env.TLS_MAX) options.maxVersion = env.TLS_MAX;
const requiredOrg = env.REQUIRED_O || '';

function send(res, status, body) {
  const json = typeof body !== 'string';
  const text = json ? JSON.stringify(body) + '\n' : body;
  res.writeHead(status, {
    'Content-Type': json ? 'application/json' : 'text/plain',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = https.createServer(options, (req, res) => {
  const cert = req.socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) {
    send(res, 401, { error: 'certificate required' });
    return;
  }
  if (!req.client.authorized) {
    send(res, 401, {
      error: 'certificate not accepted',
      reason: String(req.socket.authorizationError),
    });
    return;
  }
  const subject = cert.subject || {};
  if (requiredOrg && subject.O !== requiredOrg) {
    send(res, 403, {
      error: 'organization not allowed',
      organization: subject.O === undefined ? null : subject.O,
      required: requiredOrg,
    });
    return;
  }
  send(res, 200, `hello ${subject.CN}\n`);
});

server.on('tlsClientError', (err) => {
  console.error(`tls client error: ${err.message}`);
});

process.on('SIGTERM', () => process.exit(0));

server.listen(Number(env.PORT), '127.0.0.1', () => {
  console.log('listening');
});
