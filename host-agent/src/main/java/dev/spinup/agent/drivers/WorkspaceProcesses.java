package dev.spinup.agent.drivers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which workspace a process belongs to: the entrypoint exports {@code SPINUP_WORKSPACE_ID}, so
 * everything started inside a workspace inherits it.
 */
final class WorkspaceProcesses {
    private WorkspaceProcesses() {}

    private static final byte[] ID_VARIABLE =
            "SPINUP_WORKSPACE_ID=".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The workspace id in a process's environment, if it has one (and it is ours to read). */
    static String workspaceOf(long pid) {
        byte[] environ;
        try {
            environ = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "environ"));
        } catch (IOException | SecurityException goneOrNotOurs) {
            return null;
        }
        // NUL-separated NAME=value entries; a workspace id is 36 characters
        for (int start = 0; start < environ.length; ) {
            int end = start;
            while (end < environ.length && environ[end] != 0) {
                end++;
            }
            if (end - start == ID_VARIABLE.length + 36
                    && java.util.Arrays.equals(
                            environ, start, start + ID_VARIABLE.length, ID_VARIABLE, 0, ID_VARIABLE.length)) {
                return new String(environ, start + ID_VARIABLE.length, 36, java.nio.charset.StandardCharsets.US_ASCII);
            }
            start = end + 1;
        }
        return null;
    }
}
