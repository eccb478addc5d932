import { ConfigurationBotFrameworkAuthentication, type Activity } from 'botbuilder';

type ClaimsIdentity = Parameters<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>[0];
type ConnectorFactory = ReturnType<ConfigurationBotFrameworkAuthentication['createConnectorFactory']>;
type ConnectorClient = Awaited<ReturnType<ConnectorFactory['create']>>;
type UserTokenClient = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['createUserTokenClient']>>;
type AuthenticateRequestResult = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/** Distinct service URLs and app ids seen; a handful in practice, so this only guards against unbounded growth. */
const kept = 100;

/**
 * Bot Framework authentication whose incoming turns reuse their Bot Connector and user-token clients. CloudAdapter
 * asks for both on every turn, and each new client builds its own HTTP pipeline: about a fifteenth of a FAQ turn's
 * CPU. A client depends only on the app id, the service URL and the audience, so one per combination is kept.
 *
 * Only the clients of incoming turns are shared: proactive turns (`continueConversationAsync`, which the notifier
 * changes by taking the SDK's retries out of its client) still get a new one each time. Shared clients must never be
 * changed.
 */
export class ReusedClientsAuthentication extends ConfigurationBotFrameworkAuthentication {
  readonly #connectors = new Map<string, Promise<ConnectorClient>>();
  readonly #tokenClients = new Map<string, Promise<UserTokenClient>>();

  override async authenticateRequest(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    const result = await super.authenticateRequest(activity, authHeader);
    const factory = result.connectorFactory;
    if (!factory) return result;
    const appId = appIdOf(result.claimsIdentity);
    const reusing: ConnectorFactory = {
      create: (serviceUrl: string, audience?: string) =>
        reused(this.#connectors, `${appId}\n${serviceUrl}\n${audience ?? ''}`, () => factory.create(serviceUrl, audience)),
    };
    return { ...result, connectorFactory: reusing };
  }

  override createUserTokenClient(claimsIdentity: ClaimsIdentity): Promise<UserTokenClient> {
    return reused(this.#tokenClients, appIdOf(claimsIdentity), () => super.createUserTokenClient(claimsIdentity));
  }
}

/** The kept client for `key`, or a new one (forgotten again if making it fails, so a later turn tries afresh). */
function reused<T>(clients: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const known = clients.get(key);
  if (known) return known;
  if (clients.size >= kept) {
    const oldest = clients.keys().next();
    if (!oldest.done) clients.delete(oldest.value);
  }
  const made = make();
  clients.set(key, made);
  made.catch(() => {
    if (clients.get(key) === made) clients.delete(key);
  });
  return made;
}

/** The app id the SDK makes a turn's clients for: the token's audience claim, or its appid claim (the Emulator). */
function appIdOf(identity: ClaimsIdentity): string {
  return identity.getClaimValue('aud') ?? identity.getClaimValue('appid') ?? '';
}
