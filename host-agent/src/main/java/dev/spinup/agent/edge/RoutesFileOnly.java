package dev.spinup.agent.edge;

import dev.spinup.api.v1.ApplyEdgeRoutes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * For a host without an edge proxy (tests, a laptop that reaches workspaces directly): records
 * the last applied routing table on disk (edge/routes.binpb, the ApplyEdgeRoutes message in
 * protobuf's binary encoding: {@code protoc --decode=spinup.v1.ApplyEdgeRoutes} reads it), in
 * generation order. Binary, not text: with thousands of routes the text form was 4% of the
 * engine benchmark's CPU (JFR; its simulated hosts have no edge proxy).
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
        Path tmp = dir.resolve("routes.binpb.tmp");
        Files.write(tmp, routes.toByteArray());
        Files.move(
                tmp, dir.resolve("routes.binpb"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        appliedGeneration = routes.getGeneration();
        return "recorded " + routes.getRoutesCount() + " routes (generation " + routes.getGeneration()
                + "); no edge proxy is configured on this host";
    }
}
