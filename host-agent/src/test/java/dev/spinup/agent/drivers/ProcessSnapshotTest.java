package dev.spinup.agent.drivers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process workspace's snapshot (GNU tar of its disk) keeps its project and IDE settings, not the IDE's logs and caches. */
class ProcessSnapshotTest {
    @TempDir
    Path dir;

    @Test
    void theIdesLogsAndCachesAreLeftOutAndItsSettingsKept() throws Exception {
        Path guest = dir.resolve("guest");
        Files.createDirectories(guest.resolve("templates/starter"));
        ProcessVmDriver driver =
                new ProcessVmDriver(dir.resolve("workspaces"), guest, "127.0.0.1", 24100, 24110, Duration.ofSeconds(5));
        String id = "0197a000-0000-7000-8000-0000000000c1";
        driver.provision(new WorkspaceSpec(id, "starter", "snap", 1, 1, 1));
        Path disk = dir.resolve("workspaces").resolve(id).resolve("disk");
        write(disk.resolve("project/notes.txt"), "mine");
        write(disk.resolve(".ide/user-data/User/settings.json"), "{\"editor.fontSize\": 19}");
        write(disk.resolve(".ide/extensions/ext/package.json"), "{}");
        write(disk.resolve(".ide/user-data/logs/20261201T000000/main.log"), "chatter");
        write(disk.resolve(".ide/user-data/CachedProfilesData/__default__profile__/x"), "cache");
        write(disk.resolve(".ide/user-data/User/caches/y"), "cache");

        ByteArrayOutputStream archive = new ByteArrayOutputStream();
        driver.exportDisk(id, "0197a000-0000-7000-8000-0000000000d1", "", archive);

        Path file = Files.write(dir.resolve("snapshot.tar.gz"), archive.toByteArray());
        List<String> listed = List.of(
                ExternalCommand.output(List.of("tar", "-tzf", file.toString())).split("\n"));
        assertThat(listed)
                .contains(
                        "./project/notes.txt",
                        "./.ide/user-data/User/settings.json",
                        "./.ide/extensions/ext/package.json")
                .noneMatch(entry -> entry.contains("/logs/")
                        || entry.contains("CachedProfilesData/x")
                        || entry.contains("User/caches/y"));
    }

    private static void write(Path file, String content) throws Exception {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content, StandardCharsets.UTF_8);
    }
}
