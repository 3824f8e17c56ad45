// A real OpenID provider for the single sign-on tests: panva's certified oidc-provider, with one
// confidential client and no login page. Whoever reaches an interaction is logged in as the
// account the accounts file names (`login_as`) and consents to every scope asked, so a test
// chooses who logs in, and with which claims, by rewriting that file between logins.
//
//   CLIENT_ID=... CLIENT_SECRET=... REDIRECT_URI=... ACCOUNTS_FILE=... node provider.mjs
//
// It listens on a free loopback port and prints one JSON line, {"issuer": ...}, once it answers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const need = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
};
const clientId = need('CLIENT_ID');
const clientSecret = need('CLIENT_SECRET');
const redirectUri = need('REDIRECT_URI');
const accountsFile = need('ACCOUNTS_FILE');
// Another application of the same provider, whose ID tokens the tests try to pass off as Vigil's.
const otherClient = process.env.OTHER_CLIENT_ID
  ? [{ client_id: process.env.OTHER_CLIENT_ID, client_secret: need('OTHER_CLIENT_SECRET') }]
  : [];

const readAccounts = () => JSON.parse(fs.readFileSync(accountsFile, 'utf8'));

// A signing key of its own per run: a token from another run's key must fail verification.
const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };

const configuration = {
  clients: [{ client_id: clientId, client_secret: clientSecret }, ...otherClient].map((client) => ({
    ...client,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    groups: ['groups'],
  },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const claims = readAccounts().accounts[sub];
    if (!claims) return undefined;
    return { accountId: sub, claims: async () => ({ ...claims, sub }) };
  },
};

let provider;

async function interact(req, res) {
  const { prompt, params, session, grantId } = await provider.interactionDetails(req, res);
  if (prompt.name === 'login') {
    const result = { login: { accountId: readAccounts().login_as } };
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
  }
  const grant = grantId
    ? await provider.Grant.find(grantId)
    : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
  const missing = prompt.details;
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes || {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  const result = { consent: { grantId: await grant.save() } };
  return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
    interact(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
    return;
  }
  provider.callback()(req, res);
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, configuration);
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
