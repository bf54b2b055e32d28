package dev.cancellation.cluster;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

    /** What an instance publishes on every heartbeat: itself and its live tasks (at most a configured number). */
    record Snapshot(Integer v, String fleet, String instance, Long at, List<WireTask> tasks, Integer omitted) {
    }

    /** A task on the wire; instants are ISO-8601 strings, {@code elapsed} milliseconds. */
    record WireTask(String id, String name, String state, @Nullable String parentId, Instant startedAt,
            @Nullable Instant deadline, @Nullable String thread, @Nullable WireReason reason,
            @Nullable Instant finishedAt, @Nullable Long elapsed) {

        static WireTask of(TaskInfo info) {
            CancellationReason reason = info.reason();
            return new WireTask(info.id(), info.name(), info.state().name(), info.parentId(),
                    info.startedAt(), info.deadline(), info.thread(),
                    (reason == null) ? null : new WireReason(reason.kind().name(), reason.message(),
                            reason.at(), reason.origin()),
                    info.finishedAt(), info.elapsed().toMillis());
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
                    elapsedTime, why, thread, finished);
        }

        void validate() {
            requireId("task id", id);
            requireId("task name", name);
            require("task state", state);
            require("task startedAt", startedAt);
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
