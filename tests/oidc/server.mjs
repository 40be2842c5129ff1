// An OpenID Connect provider on loopback for the sign-in tests: it signs in whoever asks as the
// user whose e-mail is given on the command line. Usage: node server.mjs PORT EMAIL
import { OAuth2Server } from 'oauth2-mock-server';

const port = parseInt(process.argv[2], 10);
const email = process.argv[3];
const server = new OAuth2Server();
await server.issuer.keys.generate('RS256');
server.service.on('beforeTokenSigning', (token) => {
  token.payload.email = email;
  token.payload.email_verified = true;
  token.payload.name = 'Test User';
});
server.service.on('beforeUserinfo', (userInfoResponse) => {
  userInfoResponse.body = { sub: 'test-user', email, email_verified: true, name: 'Test User' };
});
await server.start(port, '127.0.0.1');
console.log(`ready ${server.issuer.url}`);
