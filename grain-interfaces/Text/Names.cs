using System.Globalization;
using System.Text;
using Billing.Errors;

namespace Billing.Text;

/// <summary>
/// The one rule for names people choose and others read (workspaces, apps, display names): they end up in emails,
/// invoices and other tenants' screens, so they must be plain visible text. Trimmed, 1 to <see cref="MaxLength"/>
/// characters, no control or format characters (NUL, CR/LF, TAB, bidi overrides, zero-width characters) and not
/// only whitespace. The ordinary space (and other space separators) is allowed.
/// </summary>
public static class Names
{
    public const int MaxLength = 100;

    /// <summary>The trimmed name, or a 400 naming <paramref name="field"/> with what is wrong.</summary>
    public static string Validate(string? raw, string field, string code, int maxLength = MaxLength) =>
        Problem(raw, maxLength) is { } problem
            ? throw BillingException.Invalid(field, code, $"'{field}' {problem}")
            : raw!.Trim();

    /// <summary>What is wrong with <paramref name="raw"/> as a name, or null when it is a valid name.</summary>
    public static string? Problem(string? raw, int maxLength = MaxLength)
    {
        var name = raw?.Trim() ?? "";
        if (name.Length == 0)
            return $"is 1 to {maxLength} characters of visible text.";
        if (name.Length > maxLength)
            return $"is at most {maxLength} characters (it has {name.Length}).";
        for (var i = 0; i < name.Length; i++)
        {
            // A lone surrogate is not text (it would reach an email as U+FFFD at best).
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
                i++;
            else if (char.IsSurrogate(name[i]))
                return "contains a broken character (a lone UTF-16 surrogate).";
        }
        var visible = false;
        foreach (var rune in name.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            switch (category)
            {
                case UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                    or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse
                    or UnicodeCategory.OtherNotAssigned:
                    return $"contains a control, format or unassigned character (U+{rune.Value:X4}); use visible text and spaces only.";
                case UnicodeCategory.SpaceSeparator:
                    break;
                default:
                    visible = true;
                    break;
            }
        }
        return visible ? null : $"is 1 to {maxLength} characters of visible text.";
    }

    /// <summary>True when <paramref name="raw"/> is a valid name.</summary>
    public static bool IsValid(string? raw, int maxLength = MaxLength) => Problem(raw, maxLength) is null;
}
