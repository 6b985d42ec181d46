using Billing.Notifications.Templates;
using MimeKit;

namespace Billing.Notifications;

/// <summary>Builds the MIME message of one outbox email: the same headers on every attempt, so a resend is recognisable.</summary>
public static class OutboxMail
{
    public const string EventIdHeader = "X-Billing-Event-Id";
    public const string TemplateHeader = "X-Billing-Template";

    public static MimeMessage Build(NotificationOptions options, OutboxMessageRow message, RenderedEmail email, string toAddress, string? toName)
    {
        var mime = new MimeMessage();
        mime.From.Add(new MailboxAddress(options.FromName, options.FromAddress));
        mime.To.Add(new MailboxAddress(toName ?? "", toAddress));
        mime.Subject = email.Subject;
        // E2/E3: derived from the event id, template and recipient, never random: a resend after a crash between the
        // server's acceptance and our record of it carries the same Message-ID, which receivers use to drop duplicates.
        mime.MessageId = message.MimeMessageId;
        mime.Date = message.CreatedAt;
        mime.Headers.Add(EventIdHeader, message.EventId);
        mime.Headers.Add(TemplateHeader, message.Template.ToString());
        mime.Body = new BodyBuilder { TextBody = email.Text, HtmlBody = email.Html }.ToMessageBody();
        return mime;
    }
}
