using System.Net;
using System.Text;

namespace Billing.Notifications.Templates;

/// <summary>A labelled value an email shows ("Previous Balance: $12.00").</summary>
public sealed record EmailField(string Label, string Value);

/// <summary>A link button ("Recharge now").</summary>
public sealed record EmailAction(string Label, string Url);

/// <summary>A table of rows (the per-app summary of a workspace).</summary>
public sealed record EmailTable(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string>> Rows);

/// <summary>What one email says, before it is laid out as HTML and as plain text.</summary>
public sealed record EmailContent(
    string Subject,
    string Heading,
    IReadOnlyList<string> Paragraphs,
    IReadOnlyList<EmailField> Fields,
    IReadOnlyList<EmailAction> Actions,
    EmailTable? Table = null,
    string? Note = null);

/// <summary>An email ready to send: the subject and both bodies.</summary>
public sealed record RenderedEmail(string Subject, string Html, string Text);

/// <summary>
/// One layout for every template, in HTML and in plain text from the same <see cref="EmailContent"/>, so the two
/// bodies never disagree. Every value is HTML-encoded: names of apps and workspaces are user input.
/// </summary>
public static class EmailLayout
{
    public static RenderedEmail Render(EmailContent content, string? recipientName) =>
        new(content.Subject, Html(content, recipientName), Text(content, recipientName));

    private static string Greeting(string? name) => name is { Length: > 0 } ? $"Hello {name}," : "Hello,";

    private static string Html(EmailContent c, string? name)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(c.Subject)).Append("</title></head>\n");
        b.Append("<body style=\"font-family:Segoe UI,Helvetica,Arial,sans-serif;color:#1b1b1b;max-width:640px;margin:0 auto;padding:24px\">\n");
        b.Append("<h1 style=\"font-size:20px\">").Append(E(c.Heading)).Append("</h1>\n");
        b.Append("<p>").Append(E(Greeting(name))).Append("</p>\n");
        foreach (var p in c.Paragraphs)
            b.Append("<p>").Append(E(p)).Append("</p>\n");
        if (c.Fields.Count > 0)
        {
            b.Append("<table style=\"border-collapse:collapse\">\n");
            foreach (var f in c.Fields)
                b.Append("<tr><th style=\"text-align:left;padding:4px 16px 4px 0\">").Append(E(f.Label)).Append("</th><td style=\"padding:4px 0\">").Append(E(f.Value)).Append("</td></tr>\n");
            b.Append("</table>\n");
        }

        if (c.Table is { } t)
        {
            b.Append("<table style=\"border-collapse:collapse;margin-top:16px\">\n<tr>");
            foreach (var h in t.Headers)
                b.Append("<th style=\"text-align:left;padding:4px 12px;border-bottom:1px solid #ccc\">").Append(E(h)).Append("</th>");
            b.Append("</tr>\n");
            foreach (var row in t.Rows)
            {
                b.Append("<tr>");
                foreach (var cell in row)
                    b.Append("<td style=\"padding:4px 12px\">").Append(E(cell)).Append("</td>");
                b.Append("</tr>\n");
            }

            b.Append("</table>\n");
        }

        foreach (var a in c.Actions)
            b.Append("<p><a href=\"").Append(E(a.Url)).Append("\" style=\"display:inline-block;background:#0b5cff;color:#fff;padding:10px 18px;border-radius:4px;text-decoration:none\">").Append(E(a.Label)).Append("</a></p>\n");
        if (c.Note is { } note)
            b.Append("<p style=\"color:#555;font-size:13px\">").Append(E(note)).Append("</p>\n");
        b.Append("</body></html>\n");
        return b.ToString();
    }

    private static string Text(EmailContent c, string? name)
    {
        var b = new StringBuilder();
        b.Append(c.Heading).Append('\n').Append(new string('=', c.Heading.Length)).Append("\n\n");
        b.Append(Greeting(name)).Append("\n\n");
        foreach (var p in c.Paragraphs)
            b.Append(p).Append("\n\n");
        foreach (var f in c.Fields)
            b.Append(f.Label).Append(": ").Append(f.Value).Append('\n');
        if (c.Fields.Count > 0)
            b.Append('\n');
        if (c.Table is { } t)
        {
            b.Append(string.Join(" | ", t.Headers)).Append('\n');
            foreach (var row in t.Rows)
                b.Append(string.Join(" | ", row)).Append('\n');
            b.Append('\n');
        }

        foreach (var a in c.Actions)
            b.Append(a.Label).Append(": ").Append(a.Url).Append('\n');
        if (c.Actions.Count > 0)
            b.Append('\n');
        if (c.Note is { } note)
            b.Append(note).Append('\n');
        return b.ToString();
    }
}
