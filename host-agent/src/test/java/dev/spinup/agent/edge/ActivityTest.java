package dev.spinup.agent.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Activity as the heartbeat takes it: requests since the last take, and IDE ports with a connection open. */
class ActivityTest {
    @Test
    void anOpenConnectionToAnIdePortIsUseAndAClosedOneIsNot() throws Exception {
        Activity activity = new Activity(Clock.systemUTC());
        try (ServerSocket ide = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket idle = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Map<String, Integer> ports = Map.of("open", ide.getLocalPort(), "idle", idle.getLocalPort());
            try (Socket browser = new Socket(InetAddress.getLoopbackAddress(), ide.getLocalPort());
                    Socket accepted = ide.accept()) {
                assertThat(activity.take(ports)).containsOnlyKeys("open");
            }
            assertThat(activity.take(ports)).as("once the connection is closed").isEmpty();
        }
    }

    @Test
    void eachUseIsReportedOnceWithItsLatestTime() {
        Activity activity = new Activity(Clock.systemUTC());
        activity.touch("a");
        activity.touch("a");
        activity.touch("b");
        var taken = activity.take(Map.of());
        assertThat(taken).containsOnlyKeys("a", "b");
        assertThat(activity.take(Map.of())).as("already reported").isEmpty();
    }
}
