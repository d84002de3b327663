// node-oidc-provider (the OpenID-certified provider) configured like mxauth
// for make bench: opaque access tokens, token introspection for a
// confidential resource server (the homeserver's role), rotating refresh
// tokens, PKCE (S256) for the authorization-code flow, and the
// client-credentials grant so that the benchmark can obtain an access token
// without a browser. Storage is the library's in-memory adapter, which
// flatters the reference: it never touches a disk.
//
//   node server.mjs PORT   (prints "listening" once it accepts requests)
import Provider from 'oidc-provider';

const port = Number(process.argv[2] ?? 3000);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      // The homeserver: introspects every access token.
      client_id: 'homeserver',
      client_secret: 'homeserver-secret-for-the-benchmark',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      // A Matrix client: code flow with PKCE and refresh tokens, plus
      // client credentials for the benchmark's token.
      client_id: 'app',
      client_secret: 'app-secret-for-the-benchmark',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  features: {
    introspection: { enabled: true },
    revocation: { enabled: true },
    clientCredentials: { enabled: true },
    devInteractions: { enabled: false },
  },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  scopes: ['openid', 'offline_access', 'urn:matrix:client:api:*'],
  ttl: { AccessToken: 300, ClientCredentials: 3600, RefreshToken: 86400 * 30 },
});
provider.proxy = false;

provider.listen(port, '127.0.0.1', () => {
  console.log('listening');
});
