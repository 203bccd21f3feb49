package dev.spinup.agent.edge;

import com.google.protobuf.TextFormat;
import dev.spinup.api.v1.ApplyEdgeRoutes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Keeps this host's edge routing table. This release records the last applied table on disk
 * (edge/routes.txtpb) and applies generations in order; driving Caddy from it is the edge-proxy
 * work that follows, through the same ApplyEdgeRoutes command.
 */
public final class EdgeController {
    private final Path dir;
    private long appliedGeneration = -1;

    public EdgeController(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Returns a description of what happened; an older generation than the applied one is ignored. */
    public synchronized String apply(ApplyEdgeRoutes routes) throws IOException {
        if (routes.getGeneration() < appliedGeneration) {
            return "ignored generation " + routes.getGeneration() + " (already at " + appliedGeneration + ")";
        }
        Path tmp = dir.resolve("routes.txtpb.tmp");
        Files.writeString(tmp, TextFormat.printer().printToString(routes));
        Files.move(tmp, dir.resolve("routes.txtpb"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        appliedGeneration = routes.getGeneration();
        return "recorded " + routes.getRoutesCount() + " routes (generation " + routes.getGeneration()
                + "); no edge proxy is configured on this host";
    }
}
