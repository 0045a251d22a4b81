/* features/batch/status.ts - how a batch status is shown (Element Plus tag type). */
export function statusType(s: string): 'success' | 'danger' | 'warning' | 'info' | 'primary' {
  if (s === 'done') return 'success';
  if (s === 'failed') return 'danger';
  if (s === 'running') return 'primary';
  return 'info';
}
