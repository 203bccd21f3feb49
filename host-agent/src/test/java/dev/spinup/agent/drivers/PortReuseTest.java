package dev.spinup.agent.drivers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An app port a destroyed workspace held goes to a new workspace only once the edge no longer
 * proxies to it: until then the edge could send the old workspace's name to the new one's app.
 */
class PortReuseTest {
    @TempDir
    Path dir;

    @Test
    void aFreedPortTheEdgeStillProxiesToIsNotGivenOut() throws Exception {
        Path guest = dir.resolve("guest");
        Files.createDirectories(guest.resolve("templates/starter"));
        ProcessVmDriver driver =
                new ProcessVmDriver(dir.resolve("workspaces"), guest, "127.0.0.1", 24000, 24010, Duration.ofSeconds(5));
        Set<Integer> liveInTheEdge = ConcurrentHashMap.newKeySet();
        driver.holdPorts(() -> Set.copyOf(liveInTheEdge));

        driver.provision(spec("0197a000-0000-7000-8000-00000000000a"));
        int first = port(driver, "0197a000-0000-7000-8000-00000000000a");
        liveInTheEdge.add(first); // the edge proxies the workspace's name there
        driver.destroy("0197a000-0000-7000-8000-00000000000a");

        driver.provision(spec("0197a000-0000-7000-8000-00000000000b"));
        assertThat(port(driver, "0197a000-0000-7000-8000-00000000000b"))
                .as("while the edge still routes there")
                .isNotEqualTo(first);

        liveInTheEdge.remove(first); // the edge re-rendered without it
        driver.provision(spec("0197a000-0000-7000-8000-00000000000c"));
        assertThat(port(driver, "0197a000-0000-7000-8000-00000000000c")).isEqualTo(first);
    }

    private static WorkspaceSpec spec(String id) {
        return new WorkspaceSpec(id, "starter", "w", 1, 1, 5);
    }

    private static int port(ProcessVmDriver driver, String id) throws DriverException {
        return WorkspaceFiles.port(driver.files.require(id));
    }
}
