package dev.spinup.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The guest (vm-base-config: entrypoint and templates) ships inside the agent as classpath
 * resources under spinup/guest. It is unpacked once per content hash into the data directory,
 * so an upgraded agent never runs a stale copy and running workspaces keep theirs.
 */
public final class GuestFiles {
    private static final String ROOT = "spinup/guest";

    private GuestFiles() {}

    public static Path extract(Path into) {
        URL marker = GuestFiles.class.getClassLoader().getResource(ROOT + "/entrypoint.sh");
        if (marker == null) {
            throw new IllegalStateException("the guest files (spinup-vm-base-config) are not on the classpath");
        }
        try {
            URI uri = marker.toURI();
            if ("jar".equals(uri.getScheme())) {
                try (FileSystem jar = FileSystems.newFileSystem(uri, Map.of())) {
                    return copy(jar.getPath("/" + ROOT), into);
                }
            }
            return copy(Path.of(uri).getParent(), into);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path copy(Path source, Path into) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(source)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        MessageDigest digest = sha256();
        for (Path f : files) {
            digest.update(source.relativize(f).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            digest.update(Files.readAllBytes(f));
        }
        Path target = into.resolve(HexFormat.of().formatHex(digest.digest()).substring(0, 16));
        if (Files.exists(target)) {
            return target;
        }
        Path partial = into.resolve(target.getFileName() + ".partial");
        Files.createDirectories(partial);
        for (Path f : files) {
            Path out = partial.resolve(source.relativize(f).toString());
            Files.createDirectories(out.getParent());
            Files.copy(f, out, StandardCopyOption.REPLACE_EXISTING);
            if (out.toString().endsWith(".sh")) {
                Files.setPosixFilePermissions(out, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
