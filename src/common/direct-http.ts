/**
 * Outbound HTTP that never goes through an environment proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY,
 * NODE_USE_ENV_PROXY): the gateway calls the parties an operator registered, and a proxy nobody
 * registered would be a route for personal data and credentials.
 *
 * axios's `proxy: false` says so on every Node version, at a price measured under issue 14: it
 * hangs a redirect hook on each request, a closure over the whole request that outlives V8's
 * young collections (a provider call at concurrency 1: 2.9–3.7 MB promoted per young collection,
 * against 0.34–0.38 MB without it). Where Node's agents take their proxy settings as an option
 * (`proxyEnv`), agents built with an empty one use no proxy, and axios, seeing that option on
 * the agent, leaves proxies to it: no hook. Elsewhere (Node 20) `proxy: false` stays.
 */
import http from 'node:http';
import https from 'node:https';

/**
 * Whether this Node's agents take `proxyEnv` and axios defers to it: Node 22.21+ and 24.5+, the
 * versions axios checks (its http adapter). The spec's proxy test holds both to it.
 */
export function agentsTakeProxyEnv(nodeVersion: string): boolean {
  const [major, minor] = nodeVersion.split('.').map(Number);
  if (major > 24) return true;
  return (major === 24 && minor >= 5) || (major === 22 && minor >= 21);
}

const AGENT_PROXY_ENV = agentsTakeProxyEnv(process.versions.node);

export interface DirectAgents {
  http: http.Agent;
  https: https.Agent;
  /** Closes both agents' sockets (their owner's shutdown, or a replaced configuration). */
  destroy(): void;
}

/**
 * A pair of keep-alive agents that never use an environment proxy. TCP keep-alive at 60 s by
 * default: axios sets that on every request's socket, and an agent with another value set its
 * own again each time a socket came back to it (two setsockopt rounds per call).
 */
export function directAgents(options: http.AgentOptions = {}): DirectAgents {
  const own = {
    keepAlive: true,
    keepAliveMsecs: 60_000,
    ...options,
    ...(AGENT_PROXY_ENV ? { proxyEnv: {} } : {}),
  };
  const agents = { http: new http.Agent(own), https: new https.Agent(own) };
  return {
    ...agents,
    destroy: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** The axios config of a call through `agents`: no environment proxy, on any Node version. */
export function directAxiosConfig(agents: DirectAgents): {
  httpAgent: http.Agent;
  httpsAgent: https.Agent;
  proxy?: false;
} {
  return {
    httpAgent: agents.http,
    httpsAgent: agents.https,
    ...(AGENT_PROXY_ENV ? {} : { proxy: false as const }),
  };
}
