/**
 * A tiny typed fetch over the types `openapi-typescript` generates from our OpenAPI document
 * (test/generated/passerelle-api.ts, written by test/openapi.e2e-spec.ts before it imports this
 * file): what an integrator would write. Paths, path parameters, JSON bodies and answers are
 * all checked by the compiler against the document.
 */
import type { paths } from '../generated/passerelle-api.js';

type Method = 'get' | 'post' | 'patch' | 'delete';

/** The operation at `P` for `M` (never when the path has no such method). */
type Operation<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>;

type PathParams<O> = O extends { parameters: { path: infer PP } }
  ? PP extends Record<string, unknown>
    ? PP
    : never
  : never;

type JsonBody<O> = O extends { requestBody: { content: { 'application/json': infer B } } }
  ? B
  : O extends { requestBody?: { content: { 'application/json': infer B } } }
    ? B | undefined
    : undefined;

type Success<O> = O extends { responses: infer R }
  ? R extends { 200: { content: { 'application/json': infer T } } }
    ? T
    : R extends { 201: { content: { 'application/json': infer T } } }
      ? T
      : undefined
  : never;

export interface CallOptions<O> {
  params?: PathParams<O>;
  body?: JsonBody<O>;
  headers?: Record<string, string>;
}

export interface ApiAnswer<T> {
  status: number;
  /** The success body when 2xx; the problem+json otherwise. */
  data: T;
  problem?: { code: string; title: string; detail: string };
}

export function createApiClient(baseUrl: string, token: () => Promise<string>) {
  async function call<P extends keyof paths, M extends Method>(
    method: M,
    path: P,
    options: CallOptions<Operation<P, M>> = {},
  ): Promise<ApiAnswer<Success<Operation<P, M>>>> {
    const params = (options.params ?? {}) as Record<string, string | number>;
    const url = String(path).replace(/\{(\w+)\}/g, (_, name: string) =>
      encodeURIComponent(String(params[name])),
    );
    const res = await fetch(`${baseUrl}${url}`, {
      method: method.toUpperCase(),
      headers: {
        authorization: `Bearer ${await token()}`,
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
    });
    const text = await res.text();
    const json: unknown = text ? JSON.parse(text) : undefined;
    if (res.ok) return { status: res.status, data: json as Success<Operation<P, M>> };
    return {
      status: res.status,
      data: undefined as Success<Operation<P, M>>,
      problem: json as ApiAnswer<unknown>['problem'],
    };
  }
  return { call };
}
