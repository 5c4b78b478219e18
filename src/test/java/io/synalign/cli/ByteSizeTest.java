package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ByteSizeTest {

    @Test
    void parsesPlainCountsAndUnits() {
        Object[][] cases = {
            {"1073741824", 1073741824L}, {"0", 0L}, {"17b", 17L},
            {"512MB", 512_000_000L}, {"512mb", 512_000_000L}, {"512MiB", 512L << 20},
            {"512m", 512L << 20}, {"2GiB", 2L << 30}, {"2gib", 2L << 30}, {"1g", 1L << 30},
            {"1G", 1L << 30}, {"3GB", 3_000_000_000L}, {"1.5GiB", 3L << 29}, {"4k", 4096L},
            {"4kB", 4000L}, {"4KiB", 4096L}, {"1t", 1L << 40}, {"2TB", 2_000_000_000_000L},
            {" 64 MiB ", 64L << 20}, {"0.5k", 512L}, {"1.0001k", 1024L},
        };
        for (Object[] c : cases) {
            assertEquals((long) c[1], ByteSize.parse((String) c[0]).bytes(), (String) c[0]);
        }
    }

    @Test
    void rejectsNonSizesNamingTheText() {
        for (String bad : new String[] {"", "-1", "12XB", "GiB", "1e9", "1,5g", "2 GiBs", "9999999999TB"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ByteSize.parse(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }

    @Test
    void printsTheShortestExactBinaryForm() {
        assertEquals("2GiB", new ByteSize(2L << 30).toString());
        assertEquals("1536MiB", new ByteSize(1536L << 20).toString());
        assertEquals("1000", new ByteSize(1000).toString());
        assertEquals("0", new ByteSize(0).toString());
        assertEquals("1KiB", new ByteSize(1024).toString());
        for (String s : new String[] {"2GiB", "1536MiB", "7KiB", "5TiB", "999"}) {
            assertEquals(s, ByteSize.parse(s).toString());
        }
    }
}
