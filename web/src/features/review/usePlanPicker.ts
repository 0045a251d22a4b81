/* features/review/usePlanPicker.ts - the round (plan) chosen on the planned-vs-actual and
 * corrections pages, its lock state, and the district's lock/unlock (POST
 * /api/v1/plans/{plan_no}/lock|unlock). The first plan (newest start) is chosen by default;
 * ?plan= in the URL chooses another. */
import { computed, ref, type Ref } from 'vue';
import { useRoute } from 'vue-router';
import { useSession } from '@/stores/session';
import { getPlan, listPlans, lockPlan, unlockPlan, type Plan } from './api';

export function usePlanPicker(error: Ref<unknown>) {
  const route = useRoute();
  const session = useSession();
  const plans = ref<Plan[]>([]);
  const planNo = ref('');
  const locked = ref(false);
  const busy = ref(false);
  /** The district: an account bound to no subdistrict that may change plans and reports
   * (decides corrections, locks rounds). The server checks again. */
  const isDistrict = computed(() => !session.user?.subdistrict && session.can('plans.write') && session.can('actuals.write'));

  async function refreshLock() {
    if (!planNo.value) return;
    const p = await getPlan(planNo.value);
    locked.value = !!p.locked;
  }

  async function init() {
    plans.value = await listPlans();
    const wanted = typeof route.query.plan === 'string' ? route.query.plan : '';
    planNo.value = plans.value.some((p) => p.plan_no === wanted) ? wanted : (plans.value[0]?.plan_no ?? '');
    await refreshLock();
  }

  /** Locks (true) or unlocks (false) the chosen round; answers whether it worked. */
  async function setLock(lock: boolean): Promise<boolean> {
    busy.value = true;
    error.value = null;
    try {
      await (lock ? lockPlan(planNo.value) : unlockPlan(planNo.value));
      await refreshLock();
      return true;
    } catch (e) {
      error.value = e;
      return false;
    } finally {
      busy.value = false;
    }
  }

  return { plans, planNo, locked, busy, isDistrict, init, refreshLock, setLock };
}
