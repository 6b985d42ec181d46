using System.Text.Json;
using System.Text.Json.Serialization;

namespace Billing.Api.Errors;

/// <summary>
/// Every string of every request body, whatever its field: no control characters (NUL, ESC, DEL, C1 controls) other
/// than TAB, CR and LF, and no bidi embedding, override or isolate characters (they make text read differently from
/// what it is, e.g. in an invoice line or an email). Such a body is refused as unreadable, naming the field, before
/// a handler or a grain sees it. Names have a stricter rule of their own (<see cref="Billing.Text.Names"/>).
/// </summary>
public sealed class PlainTextStringConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var value = reader.GetString();
        if (value is not null && Offending(value) is { } c)
            throw new JsonException($"The text holds the control character U+{(int)c:X4}.");
        return value;
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);

    public static char? Offending(string value)
    {
        foreach (var c in value)
        {
            if ((char.IsControl(c) && c is not ('\t' or '\r' or '\n')) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069')
                return c;
        }
        return null;
    }
}
