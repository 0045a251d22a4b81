/* api/types.ts - JSON shapes of the jiayuan HTTP API (see the server's api/ folder). */

export type Role = 'sysadmin' | 'secadmin' | 'auditor' | 'district' | 'subdistrict' | 'viewer';

export const ROLES: Role[] = ['sysadmin', 'secadmin', 'auditor', 'district', 'subdistrict', 'viewer'];
/* Roles the web UI may assign: administrator roles (三权分立) are granted only at the server
 * console with `jiayuan user add`, and the API refuses them. */
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

/** A row of GET /api/v1/users. */
export interface UserRow extends User {
  locked: boolean;
  disabled: boolean;
  created_at: number;
}

export interface SessionReply {
  user: User;
  csrf_token: string;
}

export interface UserReply {
  user: User;
}

export interface Page<T> {
  items: T[];
  total: number;
  next: string | null;
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

export interface Division {
  code: string;
  name: string;
  level: number;
  parent: string | null;
}

export interface AuditEntry {
  id: number;
  ts: number;
  actor: string | null;
  role: string | null;
  ip: string | null;
  action: string;
  target: string | null;
  result: string;
  request_id: string | null;
  detail: unknown;
}

export interface AuditVerifyReply {
  ok: boolean;
  checked: number;
  first_broken_id: number | null;
}
