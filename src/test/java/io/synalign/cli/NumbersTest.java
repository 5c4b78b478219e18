package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NumbersTest {

    @Test
    void fourSignificantDigitsWithoutTrailingZeros() {
        assertEquals("0.4", Numbers.short4(0.4));
        assertEquals("0", Numbers.short4(0));
        assertEquals("12.5", Numbers.short4(12.5));
        assertEquals("1.235e-05", Numbers.short4(1.23456e-5));
        assertEquals("1e-06", Numbers.short4(1e-6));
        assertEquals("-3.142", Numbers.short4(-Math.PI));
        assertEquals("1.235e+06", Numbers.short4(1234567));
        assertEquals("1000", Numbers.short4(1000));
        assertEquals("NaN", Numbers.short4(Double.NaN));
    }

    @Test
    void aColumnKeepsItsTrailingZeros() {
        assertEquals("0.01000", Numbers.column4(0.0099999));
        assertEquals("0.009996", Numbers.column4(0.009996));
        assertEquals("1.200e-05", Numbers.column4(1.2e-5));
        assertEquals("0", Numbers.column4(0));
        assertEquals("NaN", Numbers.column4(Double.NaN));
    }
}
