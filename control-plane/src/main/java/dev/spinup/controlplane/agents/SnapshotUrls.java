package dev.spinup.controlplane.agents;

import com.google.protobuf.Timestamp;
import dev.spinup.api.v1.Command;
import dev.spinup.controlplane.storage.ObjectStorage;
import dev.spinup.controlplane.store.Tx;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Signs a snapshot command's object-storage URL when the command is sent, not when its step
 * enqueues it: a command that waits for its host (the agent is away, the control plane restarts,
 * the embedded store comes back on another port) still carries a URL that works, valid for as long
 * as the command may run. Signing is local (no call to the store).
 */
public final class SnapshotUrls implements CommandRenderer.Part {
    /** Past the command's deadline, for an upload or download that began just before it. */
    static final Duration MARGIN = Duration.ofMinutes(5);

    private final ObjectStorage storage;
    private final Duration withoutDeadline;

    /** @param withoutDeadline how long a URL is valid for a command that carries no deadline */
    public SnapshotUrls(ObjectStorage storage, Duration withoutDeadline) {
        this.storage = storage;
        this.withoutDeadline = withoutDeadline;
    }

    @Override
    public Command render(Tx tx, UUID hostId, Command stored, Instant now) {
        Duration ttl = ttl(stored, now);
        return switch (stored.getKindCase()) {
            case TAKE_SNAPSHOT ->
                stored.toBuilder()
                        .setTakeSnapshot(stored.getTakeSnapshot().toBuilder()
                                .setUploadUrl(storage.presignPut(
                                                stored.getTakeSnapshot()
                                                        .getTarget()
                                                        .getKey(),
                                                ttl)
                                        .toString()))
                        .build();
            case RESTORE_SNAPSHOT -> {
                var restore = stored.getRestoreSnapshot().toBuilder()
                        .setDownloadUrl(storage.presignGet(
                                        stored.getRestoreSnapshot().getSource().getKey(), ttl)
                                .toString());
                if (restore.hasBase()) {
                    restore.getBaseBuilder()
                            .setDownloadUrl(storage.presignGet(
                                            restore.getBase().getSource().getKey(), ttl)
                                    .toString());
                }
                yield stored.toBuilder().setRestoreSnapshot(restore).build();
            }
            default -> stored;
        };
    }

    private Duration ttl(Command command, Instant now) {
        if (!command.hasDeadline()) {
            return withoutDeadline.plus(MARGIN);
        }
        Timestamp d = command.getDeadline();
        Duration left = Duration.between(now, Instant.ofEpochSecond(d.getSeconds(), d.getNanos()));
        return (left.isNegative() ? Duration.ZERO : left).plus(MARGIN);
    }
}
