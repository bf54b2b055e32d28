package dev.cancellation.cluster;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskSpec;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * What instances of a fleet write to Redis and send each other, as JSON: the published {@link Snapshot} of an
 * instance, the {@link Request}s on the fleet's request channel and the {@link Reply}s on an instance's reply
 * channel. Decoding validates: a message that is not JSON, too large, of another version or fleet, or that lacks a
 * required field is an {@link InvalidMessage} naming what is wrong.
 *
 * <p>Thread-safety: immutable; safe from any thread.
 */
final class FleetWire {

    /** The version of the format; a message of another version is rejected. */
    static final int VERSION = 1;

    /** The largest message decoded; larger ones are rejected before parsing. */
    static final int MAX_MESSAGE_CHARS = 8 * 1024 * 1024;

    /** The longest task id, name or instance id accepted. */
    static final int MAX_ID_LENGTH = 256;

    /** The longest reason message or origin sent; longer ones are cut (the owner keeps the whole). */
    static final int MAX_TEXT_LENGTH = 1024;

    /** What a cut value ends with. */
    static final String CUT = "...";

    /** Request types. */
    static final String FIND = "find";
    static final String CANCEL = "cancel";
    static final String CANCEL_ALL = "cancel-all";

    private final JsonMapper mapper = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final String fleet;

    FleetWire(String fleet) {
        this.fleet = fleet;
    }

    /**
     * What an instance publishes on every heartbeat: itself and its live tasks (at most a configured number, and at
     * most what fits in {@link #MAX_MESSAGE_CHARS}).
     *
     * @param at when it was published, on the {@link FleetClock}
     * @param incarnation random per started instance: another incarnation under the same instance id is another
     *     process (a duplicate id, or a predecessor that stopped)
     */
    record Snapshot(Integer v, String fleet, String instance, Long at, List<WireTask> tasks, Integer omitted,
            @Nullable String incarnation) {
    }

    /**
     * The snapshot as JSON, with the tasks that fit in {@code maxChars}: the first ones, the rest counted in
     * {@code omitted}, so that no peer rejects it as too large. Tasks are cut to bounded sizes by
     * {@link WireTask#of}, so this drops tasks only when very many are published.
     */
    Encoded encodeSnapshot(Snapshot snapshot, int maxChars) {
        String json = encode(snapshot);
        if (json.length() <= maxChars) {
            return new Encoded(json, snapshot.tasks().size());
        }
        int budget = maxChars - encode(new Snapshot(snapshot.v(), snapshot.fleet(), snapshot.instance(),
                snapshot.at(), List.of(), snapshot.tasks().size() + snapshot.omitted(), snapshot.incarnation()))
                .length();
        int fit = 0;
        for (WireTask task : snapshot.tasks()) {
            budget -= encode(task).length() + 1; // the comma
            if (budget < 0) {
                break;
            }
            fit++;
        }
        return new Encoded(encode(new Snapshot(snapshot.v(), snapshot.fleet(), snapshot.instance(), snapshot.at(),
                snapshot.tasks().subList(0, fit), snapshot.omitted() + snapshot.tasks().size() - fit,
                snapshot.incarnation())), fit);
    }

    /** An encoded snapshot and how many tasks it lists. */
    record Encoded(String json, int tasks) {
    }

    /** A task on the wire; instants are ISO-8601 strings, {@code elapsed} milliseconds. */
    record WireTask(String id, String name, String state, @Nullable String parentId, Instant startedAt,
            @Nullable Instant deadline, @Nullable String thread, @Nullable WireReason reason,
            @Nullable Instant finishedAt, @Nullable Long elapsed, @Nullable Map<String, String> attributes) {

        /**
         * The task as sent; a name or thread name longer than {@link #MAX_ID_LENGTH}, or a reason text longer than
         * {@link #MAX_TEXT_LENGTH}, is cut (ending in {@link #CUT}) so that no peer rejects the message for it;
         * so are attribute keys and values.
         */
        static WireTask of(TaskInfo info) {
            CancellationReason reason = info.reason();
            String thread = info.thread();
            Map<String, String> attributes = null;
            if (!info.attributes().isEmpty()) {
                attributes = new LinkedHashMap<>();
                for (Map.Entry<String, String> attribute : info.attributes().entrySet()) {
                    attributes.put(cut(attribute.getKey(), MAX_ID_LENGTH), cut(attribute.getValue(), MAX_TEXT_LENGTH));
                }
            }
            return new WireTask(info.id(), cut(info.name(), MAX_ID_LENGTH), info.state().name(), info.parentId(),
                    info.startedAt(), info.deadline(), (thread == null) ? null : cut(thread, MAX_ID_LENGTH),
                    (reason == null) ? null : new WireReason(reason.kind().name(),
                            cut(reason.message(), MAX_TEXT_LENGTH), reason.at(), cut(reason.origin(), MAX_TEXT_LENGTH)),
                    info.finishedAt(), info.elapsed().toMillis(), attributes);
        }

        /** The task as a {@link TaskInfo}; a live task's elapsed time is counted up to {@code now}. */
        TaskInfo toInfo(Instant now) {
            Instant started = startedAt;
            Instant finished = finishedAt;
            Duration elapsedTime = (finished == null) ? Duration.between(started, now)
                    : Duration.ofMillis((elapsed == null) ? 0 : elapsed);
            if (elapsedTime.isNegative()) {
                elapsedTime = Duration.ZERO;
            }
            CancellationReason why = (reason == null) ? null
                    : new CancellationReason(CancellationReason.Kind.valueOf(reason.kind()), reason.message(),
                            reason.at(), reason.origin());
            return new TaskInfo(id, name, TaskState.valueOf(state), parentId, started, deadline,
                    elapsedTime, why, thread, finished, attributes);
        }

        void validate() {
            requireId("task id", id);
            requireId("task name", name);
            require("task state", state);
            require("task startedAt", startedAt);
            if (attributes != null) {
                if (attributes.size() > TaskSpec.MAX_ATTRIBUTES) {
                    throw new InvalidMessage("more than " + TaskSpec.MAX_ATTRIBUTES + " task attributes");
                }
                attributes.forEach((key, value) -> {
                    requireId("task attribute", key);
                    require("task attribute " + key, value);
                });
            }
            try {
                TaskState.valueOf(state);
                if (reason != null) {
                    CancellationReason.Kind.valueOf(reason.kind());
                    require("reason message", reason.message());
                    require("reason at", reason.at());
                    require("reason origin", reason.origin());
                }
            } catch (IllegalArgumentException ex) {
                throw new InvalidMessage("unknown task state or reason kind: " + ex.getMessage());
            }
        }
    }

    /** A cancellation reason on the wire. */
    record WireReason(String kind, String message, Instant at, String origin) {
    }

    /**
     * A request to the other instances.
     *
     * @param type {@link #FIND}, {@link #CANCEL} or {@link #CANCEL_ALL}
     * @param from the sending instance, which expects the replies on its reply channel
     * @param requestId unique per request, repeated in the replies
     * @param expiresAt epoch milliseconds after which the request is no longer carried out (its sender has
     *     answered by then)
     * @param id the task id ({@code find}, {@code cancel})
     * @param name the task name ({@code cancel-all})
     * @param interrupt whether to interrupt at once ({@code cancel-all})
     * @param message the reason's message (cancels)
     * @param origin the reason's origin (cancels), already naming the sending instance
     */
    record Request(Integer v, String fleet, String type, String from, String requestId, Long expiresAt,
            @Nullable String id, @Nullable String name, @Nullable Boolean interrupt, @Nullable String message,
            @Nullable String origin) {
    }

    /** The answer of one instance to a {@link Request}: the matching tasks (none if it has none). */
    record Reply(Integer v, String fleet, String from, String requestId, List<WireTask> tasks) {
    }

    String encode(Object message) {
        return mapper.writeValueAsString(message);
    }

    Snapshot decodeSnapshot(String json) {
        Snapshot snapshot = parse(json, Snapshot.class);
        checkEnvelope(snapshot.v(), snapshot.fleet());
        requireId("instance", snapshot.instance());
        require("at", snapshot.at());
        require("tasks", snapshot.tasks());
        snapshot.tasks().forEach(FleetWire::validateTask);
        return snapshot;
    }

    Request decodeRequest(String json) {
        Request request = parse(json, Request.class);
        checkEnvelope(request.v(), request.fleet());
        requireId("from", request.from());
        requireId("requestId", request.requestId());
        require("expiresAt", request.expiresAt());
        String type = require("type", request.type());
        switch (type) {
            case FIND -> requireId("id", request.id());
            case CANCEL -> {
                requireId("id", request.id());
                require("message", request.message());
                require("origin", request.origin());
            }
            case CANCEL_ALL -> {
                requireId("name", request.name());
                require("message", request.message());
                require("origin", request.origin());
            }
            default -> throw new InvalidMessage("unknown request type '" + abbreviate(type) + "'");
        }
        return request;
    }

    Reply decodeReply(String json) {
        Reply reply = parse(json, Reply.class);
        checkEnvelope(reply.v(), reply.fleet());
        requireId("from", reply.from());
        requireId("requestId", reply.requestId());
        require("tasks", reply.tasks());
        reply.tasks().forEach(FleetWire::validateTask);
        return reply;
    }

    private <T> T parse(String json, Class<T> type) {
        if (json.length() > MAX_MESSAGE_CHARS) {
            throw new InvalidMessage("message of " + json.length() + " characters, more than " + MAX_MESSAGE_CHARS);
        }
        try {
            T value = mapper.readValue(json, type);
            if (value == null) {
                throw new InvalidMessage("empty message");
            }
            return value;
        } catch (JacksonException ex) {
            throw new InvalidMessage("not a " + type.getSimpleName() + " in JSON: " + ex.getOriginalMessage());
        }
    }

    private void checkEnvelope(@Nullable Integer version, @Nullable String messageFleet) {
        if (version == null || version != VERSION) {
            throw new InvalidMessage("version " + version + ", expected " + VERSION);
        }
        if (!fleet.equals(messageFleet)) {
            throw new InvalidMessage("fleet '" + abbreviate(String.valueOf(messageFleet)) + "', expected '"
                    + fleet + "'");
        }
    }

    private static void validateTask(@Nullable WireTask task) {
        if (task == null) {
            throw new InvalidMessage("null task");
        }
        task.validate();
    }

    private static <T> T require(String field, @Nullable T value) {
        if (value == null) {
            throw new InvalidMessage("missing " + field);
        }
        return value;
    }

    private static String requireId(String field, @Nullable String value) {
        require(field, value);
        if (value.isBlank() || value.length() > MAX_ID_LENGTH) {
            throw new InvalidMessage(field + " blank or longer than " + MAX_ID_LENGTH + " characters");
        }
        return value;
    }

    /** {@code value}, or its start ending in {@link #CUT} so that it is {@code max} characters long. */
    static String cut(String value, int max) {
        return (value.length() <= max) ? value : value.substring(0, max - CUT.length()) + CUT;
    }

    /**
     * The sender a message claims ({@code from}, or a snapshot's {@code instance}), for a log line about a message
     * that is refused: unproven, {@code ?} when there is none.
     */
    String claimedSender(String message) {
        int json = message.indexOf('{');
        if (json < 0 || message.length() > MAX_MESSAGE_CHARS) {
            return "?";
        }
        try {
            tools.jackson.databind.JsonNode tree = mapper.readTree(message.substring(json));
            tools.jackson.databind.JsonNode from = tree.has("from") ? tree.get("from") : tree.get("instance");
            return (from != null && from.isString()) ? abbreviate(from.asString()) : "?";
        } catch (JacksonException | IllegalArgumentException ex) {
            return "?";
        }
    }

    static String abbreviate(String value) {
        return (value.length() <= 64) ? value : value.substring(0, 64) + "...";
    }

    /** A message that fails validation; the message says what is wrong with it. */
    static final class InvalidMessage extends RuntimeException {

        private static final long serialVersionUID = 1L;

        InvalidMessage(String message) {
            super(message, null, false, false);
        }
    }
}
