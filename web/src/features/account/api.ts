/* features/account/api.ts - accounts (server area account/: api/account/auth.c, users.c):
 * login, logout, the session (/auth/me), the own password and second factor (TOTP), and the
 * user administration of the security administrator (users.read, users.write).
 *
 * Administrator roles (三权分立) are granted only at the server console with
 * `jiayuan user add`; the API refuses them, so the UI offers ASSIGNABLE_ROLES only.
 */
import { api } from '@/api/client';
import type { Page } from '@/api/types';

export type Role = 'sysadmin' | 'secadmin' | 'auditor' | 'district' | 'subdistrict' | 'viewer';

export const ROLES: Role[] = ['sysadmin', 'secadmin', 'auditor', 'district', 'subdistrict', 'viewer'];
/** Roles the web UI may assign. */
export const ASSIGNABLE_ROLES: Role[] = ['district', 'subdistrict', 'viewer'];

export interface User {
  id: number;
  username: string;
  role: Role | string;
  subdistrict: string | null;
  subdistrict_name: string | null;
  permissions: string[];
  must_change_password: boolean;
  totp_enabled: boolean;
  totp_required: boolean;
  password_expires_at: number | null;
}

/** A row of GET /api/v1/users (real name and phone come masked). */
export interface UserRow extends User {
  locked: boolean;
  disabled: boolean;
  created_at: number;
  real_name: string | null;
  phone: string | null;
  organisation: string | null;
  last_login_at: number | null;
  failed_attempts: number;
  locked_until: number | null;
}

/** Administrator roles: granted and changed at the server console only (三权分立). */
export const ADMIN_ROLES: string[] = ['sysadmin', 'secadmin', 'auditor'];

/** Account states of the users list's filter. */
export const USER_STATES = ['normal', 'locked', 'disabled'] as const;

/** Filters of GET /api/v1/users. */
export interface UserFilters {
  role?: string;
  state?: string;
  q?: string;
}

export const USERS_PATH = '/api/v1/users';

export interface SessionReply {
  user: User;
  csrf_token: string;
}

export interface UserReply {
  user: User;
}

export interface CreatedUserReply {
  user: UserRow;
  temporary_password: string;
}

export interface TemporaryPasswordReply {
  temporary_password: string;
}

export interface TotpSetupReply {
  secret: string;
  otpauth_uri: string;
}

/* ---------- the own session ---------- */

/** The paths whose 401 means "not logged in" rather than "the session ended". */
export const SESSION_PATHS = /^\/api\/v1\/auth\/(login|me|logout)\b/;

export function getMe(): Promise<SessionReply> {
  return api.get<SessionReply>('/api/v1/auth/me');
}

export function login(username: string, password: string, totp?: string): Promise<SessionReply> {
  const body: Record<string, string> = { username, password };
  if (totp) body.totp = totp;
  return api.post<SessionReply>('/api/v1/auth/login', body);
}

export function logout(): Promise<void> {
  return api.post<void>('/api/v1/auth/logout', {});
}

export function changePassword(current: string, next: string): Promise<UserReply> {
  return api.post<UserReply>('/api/v1/auth/password', { current_password: current, new_password: next });
}

export function totpSetup(): Promise<TotpSetupReply> {
  return api.post<TotpSetupReply>('/api/v1/auth/totp/setup', {});
}

export function totpEnable(code: string): Promise<UserReply> {
  return api.post<UserReply>('/api/v1/auth/totp/enable', { code });
}

/* ---------- user administration ---------- */

export function listUsers(limit: number, next: string | null, f: UserFilters = {}): Promise<Page<UserRow>> {
  return api.get<Page<UserRow>>(USERS_PATH, { limit, next, ...f });
}

export interface NewUser {
  username: string;
  role: string;
  subdistrict?: string;
  real_name?: string;
  phone?: string;
  organisation?: string;
}

export function createUser(u: NewUser): Promise<CreatedUserReply> {
  return api.post<CreatedUserReply>('/api/v1/users', u);
}

/** The fields a PATCH may change; the reply is {"user":U} or the row itself. */
export interface UserChange {
  role?: string;
  subdistrict?: string | null;
  locked?: boolean;
  disabled?: boolean;
}

export function updateUser(id: number, change: UserChange): Promise<UserReply | UserRow> {
  return api.patch<UserReply | UserRow>(`/api/v1/users/${id}`, change);
}

export function resetPassword(id: number): Promise<TemporaryPasswordReply> {
  return api.post<TemporaryPasswordReply>(`/api/v1/users/${id}/reset-password`, {});
}
