package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModuleCacheTest {

    @Test
    void keyIsSha256OfTheNulSeparatedParts() {
        // python3: hashlib.sha256(b'synalign-cuda-module-1\x00a\x00sm_90\x0013.1\x00')
        assertEquals("a2e3333ac89d51aab4c4eb51441b5b4f4149694574612e71b21a3f1a1d082d46",
                ModuleCache.key("a", "sm_90", "13.1"));
    }

    @Test
    void keyChangesWithSourceOptionsAndCompilerVersion() {
        String k = ModuleCache.key("src", "sm_90", "13.1");
        assertNotEquals(k, ModuleCache.key("src ", "sm_90", "13.1"));
        assertNotEquals(k, ModuleCache.key("src", "sm_80", "13.1"));
        assertNotEquals(k, ModuleCache.key("src", "sm_90", "13.0"));
        // The device passes every compile option, not only the architecture.
        String sm90 = String.join(" ", NvrtcCompiler.options("sm_90"));
        String sm80 = String.join(" ", NvrtcCompiler.options("sm_80"));
        assertNotEquals(ModuleCache.key("src", sm90, "13.1"), ModuleCache.key("src", sm80, "13.1"));
        // The separator keeps part boundaries: ("ab", "c") and ("a", "bc") differ.
        assertNotEquals(ModuleCache.key("ab", "c", "v"), ModuleCache.key("a", "bc", "v"));
    }

    @Test
    void storedImagesLoadBack(@TempDir Path dir) {
        ModuleCache cache = new ModuleCache(dir.resolve("nested/cuda"));
        String key = ModuleCache.key("s", "sm_90", "13.1");
        assertTrue(cache.load(key).isEmpty());
        byte[] image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
        cache.store(key, image);
        assertArrayEquals(image, cache.load(key).orElseThrow());
        assertEquals(dir.resolve("nested/cuda/" + key + ".cubin"), cache.file(key));
    }

    @Test
    void anUnwritableCacheIsSkippedNotFatal(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        ModuleCache cache = new ModuleCache(file);
        String key = ModuleCache.key("s", "sm_90", "13.1");
        cache.store(key, new byte[] {1});
        assertTrue(cache.load(key).isEmpty());
    }
}
