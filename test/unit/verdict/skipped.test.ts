import t from 'tap';
import { skippedCase } from '../../../src/verdict/skipped.js';

t.test('a case that could not run is a skip naming why, with nothing judged', async (t) => {
  t.same(skippedCase('mesh ping', 'mac80211_hwsim (kernel 6.1.0): not loaded'), {
    name: 'mesh ping', status: 'skip', probes: [], expectations: [], error: 'mac80211_hwsim (kernel 6.1.0): not loaded', durationMs: 0,
  });
});
