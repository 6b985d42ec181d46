using System.Net;
using Billing.Notifications;
using Billing.Notifications.Templates;

namespace Billing.Tests.Notifications;

/// <summary>E1: every template of the seed's table, with its fields and links, in HTML and plain text (pure, no cluster).</summary>
public sealed class EmailTemplatesTests
{
    private static readonly SampleWorld World = SampleWorld.New();
    private static readonly PortalLinks Links = new(SampleWorld.PortalBaseUrl);

    public static TheoryData<EmailTemplate> Templates => new(Enum.GetValues<EmailTemplate>());

    [Fact]
    public void Every_template_has_a_sample_event_E1()
    {
        var covered = TemplateSamples.All(World).Select(s => s.Template).ToHashSet();
        Assert.All(Enum.GetValues<EmailTemplate>(), t => Assert.Contains(t, covered));
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Each_template_goes_to_its_recipient_and_shows_its_fields_in_html_and_text_E1(EmailTemplate template)
    {
        var sample = TemplateSamples.All(World).Single(s => s.Template == template);
        var plan = NotificationPlan.Plan(sample.Event, World.OwnerUserId, World.OwnerUserId);
        Assert.Contains(new PlannedEmail(template, sample.Recipient), plan);

        var email = EmailTemplates.Render(template, sample.Event, sample.Recipient, "Ada", Links);
        Assert.False(string.IsNullOrWhiteSpace(email.Subject));
        Assert.StartsWith("<!DOCTYPE html>", email.Html, StringComparison.Ordinal);
        Assert.Contains("Hello Ada,", email.Text, StringComparison.Ordinal);
        foreach (var expected in sample.Expected)
        {
            Assert.Contains(expected, email.Text, StringComparison.Ordinal);
            Assert.Contains(WebUtility.HtmlEncode(expected), email.Html, StringComparison.Ordinal);
        }

        foreach (var absent in sample.Absent ?? [])
        {
            Assert.DoesNotContain(absent, email.Text, StringComparison.Ordinal);
            Assert.DoesNotContain(WebUtility.HtmlEncode(absent), email.Html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_link_is_built_from_the_one_configured_base_url()
    {
        var other = new PortalLinks("https://billing.other.test/portal");
        foreach (var sample in TemplateSamples.All(World))
        {
            var email = EmailTemplates.Render(sample.Template, sample.Event, sample.Recipient, null, other);
            var links = System.Text.RegularExpressions.Regex.Matches(email.Html, "href=\"([^\"]+)\"").Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();
            Assert.NotEmpty(links);
            Assert.All(links, link => Assert.StartsWith("https://billing.other.test/portal/", link, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Names_typed_by_users_are_html_encoded()
    {
        var ev = new PaidWalletExhausted
        {
            EventId = "x", WorkspaceId = "ws", OccurredAt = DateTimeOffset.UnixEpoch, AppId = "app", AppName = "<script>alert(1)</script>",
            FreeCreditsAvailable = false, FreeCreditsRemainingUsd = 0m,
        };
        var email = EmailTemplates.Render(EmailTemplate.PaidWalletZeroNoFreeCredits, ev, "user:u", "<b>Eve</b>", Links);
        Assert.DoesNotContain("<script>", email.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("<b>Eve</b>", email.Html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", email.Html, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_refuses_an_event_of_another_kind()
    {
        var sample = TemplateSamples.All(World).First(s => s.Template == EmailTemplate.LowBalanceAlert);
        Assert.Throws<InvalidOperationException>(() => EmailTemplates.Render(EmailTemplate.OrderInvoice, sample.Event, sample.Recipient, null, Links));
    }

    [Fact]
    public void Amounts_are_dollars_with_cents_and_dates_are_utc_calendar_days()
    {
        // Formatted with the invariant culture (the project runs in globalization-invariant mode anyway).
        Assert.Equal("$1,234.50", EmailTemplates.Usd(1234.5m));
        Assert.Equal("-$0.20", EmailTemplates.Usd(-0.2m));
        Assert.Equal("Not set", EmailTemplates.Usd(null));
        Assert.Equal("4 Nov 2026", EmailTemplates.Date(new DateTimeOffset(2026, 11, 3, 22, 0, 0, TimeSpan.FromHours(-5))));
    }
}
