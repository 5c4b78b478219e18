package io.synalign.data;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.NumericNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;

/**
 * A JSON value read into a Jackson tree whose numbers keep their exact text: {@code 1e2} is
 * written back as {@code 1e2} (Jackson's own tree gives {@code 1E+2}), {@code -0} as {@code -0}
 * (not {@code 0}), {@code 1.50} as {@code 1.50}. A number reads as a number to code that asks
 * ({@link JsonNode#isNumber()}, {@link JsonNode#doubleValue()}); only its text is kept as it
 * came. Cost O(value size); nesting is bounded by the parser's own limit (1,000 levels).
 */
final class VerbatimJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private VerbatimJson() {
    }

    /**
     * The value starting at the parser's current token (advanced past it).
     *
     * @throws NumberFormatException for a number no {@link BigDecimal} holds
     */
    static JsonNode value(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = NODES.objectNode();
                for (JsonToken k = p.nextToken(); k == JsonToken.FIELD_NAME; k = p.nextToken()) {
                    String name = p.currentName();
                    p.nextToken();
                    o.set(name, value(p));
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = NODES.arrayNode();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_ARRAY; k = p.nextToken()) {
                    a.add(value(p));
                }
                return a;
            }
            case VALUE_STRING:
                return NODES.textNode(p.getText());
            case VALUE_NUMBER_INT: {
                String text = p.getText();
                // -0 is an integer to JSON but not to Java: kept as text with its value 0.
                if (text.equals("-0")) {
                    return new Number(BigDecimal.ZERO, text);
                }
                // The node type Jackson's own tree gives (int, long or big), so that trees read
                // here equal trees read by Jackson elsewhere.
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT: {
                String text = p.getText();
                return new Number(new BigDecimal(text), text);
            }
            case VALUE_TRUE:
                return NODES.booleanNode(true);
            case VALUE_FALSE:
                return NODES.booleanNode(false);
            case VALUE_NULL:
                return NODES.nullNode();
            default:
                throw new IllegalStateException("unexpected JSON token " + t);
        }
    }

    /**
     * A JSON number with its text as read; written back exactly as that text, read as its
     * {@link BigDecimal} value. (Not a {@link DecimalNode}: its {@code serialize} is final.)
     */
    static final class Number extends NumericNode {

        private static final long serialVersionUID = 1L;

        private final BigDecimal value;
        private final String text;

        Number(BigDecimal value, String text) {
            this.value = value;
            this.text = text;
        }

        @Override
        public JsonToken asToken() {
            return JsonToken.VALUE_NUMBER_FLOAT;
        }

        @Override
        public JsonParser.NumberType numberType() {
            return JsonParser.NumberType.BIG_DECIMAL;
        }

        @Override
        public boolean isFloatingPointNumber() {
            return true;
        }

        @Override
        public boolean isBigDecimal() {
            return true;
        }

        @Override
        public java.lang.Number numberValue() {
            return value;
        }

        @Override
        public int intValue() {
            return value.intValue();
        }

        @Override
        public long longValue() {
            return value.longValue();
        }

        @Override
        public double doubleValue() {
            return value.doubleValue();
        }

        @Override
        public BigDecimal decimalValue() {
            return value;
        }

        @Override
        public java.math.BigInteger bigIntegerValue() {
            return value.toBigInteger();
        }

        @Override
        public boolean canConvertToInt() {
            return value.compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) >= 0
                    && value.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0;
        }

        @Override
        public boolean canConvertToLong() {
            return value.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0
                    && value.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0;
        }

        @Override
        public String asText() {
            return text;
        }

        @Override
        public void serialize(JsonGenerator g, SerializerProvider provider) throws IOException {
            g.writeNumber(text);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Number n && text.equals(n.text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }
}
