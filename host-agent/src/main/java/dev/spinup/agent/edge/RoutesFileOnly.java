package dev.spinup.agent.edge;

import com.google.protobuf.TextFormat;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * For a host without an edge proxy (tests, a laptop that reaches workspaces directly): records
 * the last applied routing table on disk (edge/routes.txtpb), in generation order.
 */
public final class RoutesFileOnly implements EdgeController {
    private final Path dir;
    private final java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
    private long appliedGeneration = -1;

    public RoutesFileOnly(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String apply(ApplyEdgeRoutes routes) throws IOException {
        lock.lock();
        try {
            return record(routes);
        } finally {
            lock.unlock();
        }
    }

    private String record(ApplyEdgeRoutes routes) throws IOException {
        if (routes.getGeneration() < appliedGeneration) {
            return "ignored generation " + routes.getGeneration() + " (already at " + appliedGeneration + ")";
        }
        Path tmp = dir.resolve("routes.txtpb.tmp");
        Files.writeString(tmp, TextFormat.printer().printToString(routes));
        Files.move(
                tmp, dir.resolve("routes.txtpb"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        appliedGeneration = routes.getGeneration();
        return "recorded " + routes.getRoutesCount() + " routes (generation " + routes.getGeneration()
                + "); no edge proxy is configured on this host";
    }
}
