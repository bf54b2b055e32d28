package dev.cancellation.cluster;

/**
 * The Redis keys and channels of one fleet, all under {@code <prefix>:<fleet>:}.
 *
 * <ul>
 * <li>{@code members}: a sorted set of instance ids, scored by the epoch millisecond their heartbeat expires;
 * <li>{@code instance:<id>}: the instance's published {@link FleetWire.Snapshot}, with the heartbeat's time to
 * live;
 * <li>{@code requests}: the channel every instance listens on for {@link FleetWire.Request}s;
 * <li>{@code replies:<id>}: the channel on which instance {@code id} receives {@link FleetWire.Reply}s.
 * </ul>
 *
 * @param prefix the key prefix
 * @param fleet the fleet name
 */
record FleetKeys(String prefix, String fleet) {

    String members() {
        return base() + "members";
    }

    String instance(String id) {
        return base() + "instance:" + id;
    }

    String requests() {
        return base() + "requests";
    }

    String replies(String id) {
        return base() + "replies:" + id;
    }

    private String base() {
        return prefix + ":" + fleet + ":";
    }
}
