import type { FastifyRequest } from 'fastify'
import { ApiError } from '../errors.ts'

/**
 * Who may call a route, declared by every route as `config: { access }`:
 * - `public`: no key (health, the OpenAPI document and UI);
 * - `any`: any valid key or session, whatever its role (the session routes: sign-in, who am I, sign-out);
 * - `plant`: admin, or a plant engineer (then only for the factories in the key's scope);
 * - `analyst`: admin or analyst (aggregates across factories, never one factory's own rows);
 * - `admin`: admin only.
 */
export type Access = 'public' | 'any' | 'plant' | 'analyst' | 'admin'
export const ACCESS_LEVELS: readonly Access[] = ['public', 'any', 'plant', 'analyst', 'admin']

/** The role an API key carries. */
export type Role = 'admin' | 'plant-engineer' | 'analyst'
export const ROLES: readonly Role[] = ['admin', 'plant-engineer', 'analyst']

/** The caller behind an authenticated request. */
export interface Principal {
  /** The key's public id (the part before the secret); safe to log. */
  keyId: string
  /** The key's name, given at creation ("line-screen-3", "erp-export"). */
  name: string
  role: Role
  /** Factory paths (`region/park/factory`) a plant engineer may see; empty for the other roles. */
  factories: readonly string[]
  /** How the caller proved it: the key in a header, or the dashboard's session cookie. Default 'key'. */
  via?: 'key' | 'session'
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route; required on every route (the app refuses to start without it). */
    access?: Access
  }
  interface FastifyRequest {
    /** The authenticated caller; null on public routes called without a key. */
    principal: Principal | null
  }
}

const ROLES_FOR: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  any: ROLES,
  plant: ['admin', 'plant-engineer'],
  analyst: ['admin', 'analyst'],
  admin: ['admin'],
}

/** Whether a role may call a route of the given access level (factory scope is checked by the route). */
export function roleAllows(access: Access, role: Role): boolean {
  return access === 'public' || ROLES_FOR[access].includes(role)
}

/** The roles that may call a route of this access level, for messages and the OpenAPI document. */
export function rolesFor(access: Access): readonly Role[] {
  return access === 'public' ? ROLES : ROLES_FOR[access]
}

function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError('SHOPFLOOR_API_UNAUTHORIZED', 'this needs an API key: send "Authorization: Bearer <key>" (shopfloor api-key create makes one)')
  return req.principal
}

/**
 * The factories the caller may see: `'all'` for an admin, the key's scope for a plant engineer,
 * none for an analyst (who gets no factory-level data). Lists filter with it.
 */
export function allowedFactories(req: FastifyRequest): readonly string[] | 'all' {
  const p = principalOf(req)
  if (p.role === 'admin') return 'all'
  if (p.role === 'plant-engineer') return p.factories
  return []
}

/** Whether the caller may see the factory `factoryPath` (`region/park/factory`). */
export function mayAccessFactory(req: FastifyRequest, factoryPath: string): boolean {
  const allowed = allowedFactories(req)
  return allowed === 'all' || allowed.includes(factoryPath)
}

/**
 * Throws 403 SHOPFLOOR_API_FORBIDDEN naming the factory unless the caller may see it. Plant
 * routes call it (or filter with `allowedFactories`) for every factory they touch, before they
 * query anything, so the answer does not reveal whether the factory's data exists.
 */
export function requireFactory(req: FastifyRequest, factoryPath: string): void {
  if (mayAccessFactory(req, factoryPath)) return
  const p = principalOf(req)
  const scope = p.role === 'plant-engineer' ? `its factories are ${p.factories.map((f) => `"${f}"`).join(', ') || 'none'}` : `the ${p.role} role has no factory-level access`
  throw new ApiError('SHOPFLOOR_API_FORBIDDEN', `API key "${p.name}" (${p.keyId}) may not see factory "${factoryPath}": ${scope}`)
}

/** The factory path (`region/park/factory`) of a factory, area, line or machine path. */
export function factoryOfPath(path: string): string {
  return path.split('/').slice(0, 3).join('/')
}
