import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { NextFunction, Request, Response } from 'express';

/**
 * Prometheus metrics. One registry per application instance (not prom-client's global one),
 * so that several gateways in one test process do not collide.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'passerelle_http_requests_total',
    help: 'HTTP requests answered, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: 'passerelle_http_request_duration_seconds',
    help: 'HTTP request latency, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'passerelle_' });
  }

  /** Route label is the matched route template (never the raw path: bounded cardinality). */
  middleware = (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const base = req.baseUrl ?? '';
      const labels = {
        method: req.method,
        // Nest answers unknown paths from a catch-all route: count them apart.
        route: route && !route.includes('*') ? `${base}${route}` : 'unmatched',
        status: String(res.statusCode),
      };
      this.requests.inc(labels);
      this.latency.observe(labels, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}
