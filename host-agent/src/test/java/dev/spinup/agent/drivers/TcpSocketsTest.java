package dev.spinup.agent.drivers;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TcpSocketsTest {
    @Test
    void linesOfProcNetTcpGiveThePortTheAddressToDialAndTheInode() {
        // as Linux prints them: 127.0.0.1:3000 listening, 0.0.0.0:5173 listening, 10.1.2.3:22 established
        TcpSockets.Socket loopback = TcpSockets.parse(
                "   0: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41234 1 0");
        TcpSockets.Socket any = TcpSockets.parse(
                "   1: 00000000:1435 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41235 1 0");
        TcpSockets.Socket lan = TcpSockets.parse(
                "   2: 0302010A:0016 0402010A:C350 01 00000000:00000000 00:00000000 00000000     0        0 41236 1 0");
        TcpSockets.Socket v6loopback = TcpSockets.parse("   3: 00000000000000000000000001000000:1F90"
                + " 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 41237 1 0");

        assertThat(loopback).isEqualTo(new TcpSockets.Socket(3000, "127.0.0.1", TcpSockets.LISTEN, 41234));
        assertThat(any.dialHost())
                .as("a wildcard address is reached on loopback")
                .isEqualTo("127.0.0.1");
        assertThat(any.port()).isEqualTo(5173);
        assertThat(lan.dialHost())
                .as("another address: not this machine's loopback")
                .isNull();
        assertThat(lan.state()).isEqualTo(TcpSockets.ESTABLISHED);
        assertThat(v6loopback.dialHost()).isEqualTo("[::1]");
        assertThat(TcpSockets.parse("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when"))
                .as("the header line")
                .isNull();
    }

    @Test
    void aProcessListeningSocketIsFoundAmongItsOpenFiles() throws Exception {
        long self = ProcessHandle.current().pid();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            assertThat(TcpSockets.listening(Set.of(self)).get(self)).containsEntry(port, "127.0.0.1:" + port);
        }
    }
}
