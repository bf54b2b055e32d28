package dev.cancellation;

import java.util.concurrent.ThreadFactory;

/** The token stress suite on platform threads. */
class TokenStressTests extends AbstractTokenStressTests {

    @Override
    int sleepers() {
        return 200;
    }

    @Override
    ThreadFactory threads() {
        return Thread::new;
    }
}
