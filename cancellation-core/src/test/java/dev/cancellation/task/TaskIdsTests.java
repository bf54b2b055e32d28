package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Task ids: SipHash-2-4 as its authors specify it, 16 lower-case hex digits, distinct, not a visible counter. */
class TaskIdsTests {

    /** The reference key of the SipHash paper's test vectors: the bytes 00 01 02 ... 0f. */
    private static final long K0 = 0x0706050403020100L;
    private static final long K1 = 0x0f0e0d0c0b0a0908L;

    @Test
    void sipHashMatchesTheReferenceVectorForAnEightByteMessage() {
        // vectors_sip64[8] of the reference implementation: message 00 01 ... 07, output 62 24 93 9a 79 f5 f5 93
        assertThat(new TaskIds(K0, K1, 0).sipHash24(0x0706050403020100L)).isEqualTo(0x93f5f5799a932462L);
    }

    @Test
    void anIdIsTheHashOfTheCounterIn16LowerCaseHexDigits() {
        TaskIds ids = new TaskIds(K0, K1, 0x0706050403020100L);
        assertThat(ids.next()).isEqualTo("93f5f5799a932462");
        assertThat(ids.next()).matches("[0-9a-f]{16}").isNotEqualTo("93f5f5799a932462");
    }

    @Test
    void consecutiveIdsAreDistinctAndDoNotLookLikeACounter() {
        TaskIds ids = new TaskIds();
        Set<String> seen = new HashSet<>();
        int sharedFirstDigit = 0;
        String previous = ids.next();
        seen.add(previous);
        for (int i = 0; i < 100_000; i++) {
            String id = ids.next();
            assertThat(seen.add(id)).as("id %s repeated", id).isTrue();
            if (id.charAt(0) == previous.charAt(0)) {
                sharedFirstDigit++;
            }
            previous = id;
        }
        // a counter in hex keeps its leading digits; a keyed hash changes them about 15 times in 16
        assertThat(sharedFirstDigit).isBetween(100_000 / 16 / 2, 100_000 / 16 * 2);
    }
}
