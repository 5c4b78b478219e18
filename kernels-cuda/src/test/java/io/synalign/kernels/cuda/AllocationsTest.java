package io.synalign.kernels.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class AllocationsTest {

    @Test
    void closesEverythingNewestFirstEvenWhenOneCloseFails() {
        List<String> closed = new ArrayList<>();
        Allocations made = new Allocations();
        AutoCloseable a = () -> closed.add("a");
        assertSame(a, made.add(a));
        made.add(() -> {
            closed.add("b");
            throw new IllegalStateException("b fails to close");
        });
        made.add(() -> closed.add("c"));
        made.close();
        assertEquals(List.of("c", "b", "a"), closed);
        made.close();
        assertEquals(3, closed.size(), "a second close frees nothing twice");
    }
}
