using Billing.Apps;
using Billing.Metering;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Workspaces;
using MimeKit;

namespace Billing.Tests.Notifications;

/// <summary>The durable outbox against a real SMTP server on loopback (E1-E4, W5). Tests of one class run one at a time.</summary>
public sealed class OutboxTests(NotificationFixture fx) : IClassFixture<NotificationFixture>
{
    [Fact]
    public async Task Every_template_arrives_over_smtp_with_its_fields_and_to_its_recipient_E1_E4()
    {
        var world = await fx.NewWorld();
        var samples = TemplateSamples.All(world);
        foreach (var ev in samples.Select(s => s.Event).DistinctBy(e => e.EventId))
            await fx.Publish(ev);
        await fx.DeliverAll();

        foreach (var sample in samples)
        {
            var received = fx.Smtp.Messages().Where(m => m.Message.Headers[OutboxMail.EventIdHeader] == sample.Event.EventId
                && m.Message.Headers[OutboxMail.TemplateHeader] == sample.Template.ToString()).ToList();
            var (message, envelope) = Assert.Single(received);
            var expectedTo = sample.Recipient.StartsWith("email:", StringComparison.Ordinal) ? sample.Recipient["email:".Length..] : NotificationFixture.EmailOf(sample.Recipient["user:".Length..]);
            Assert.Equal([expectedTo], envelope);
            Assert.Equal(expectedTo, message.To.Mailboxes.Single().Address);
            Assert.Equal(NotificationFixture.FromAddress, message.From.Mailboxes.Single().Address);
            Assert.NotNull(message.HtmlBody);
            Assert.NotNull(message.TextBody);
            foreach (var expected in sample.Expected)
            {
                Assert.Contains(expected, message.TextBody, StringComparison.Ordinal);
                Assert.Contains(System.Net.WebUtility.HtmlEncode(expected), message.HtmlBody, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task A_repeated_event_sends_one_email_with_a_message_id_derived_from_the_event_E2()
    {
        var world = await fx.NewWorld();
        var ev = LowBalance(world, "low:" + world.Tag, 12m);
        await fx.Publish(ev);
        await fx.Publish(ev);
        await fx.DeliverAll();
        // Raised again after delivery, even with different content: the first copy stands and nothing new is sent.
        await fx.Publish(ev with { BalanceUsd = 1m });
        await fx.DeliverAll();

        var message = Assert.Single(fx.Smtp.MessagesOf(ev.EventId));
        Assert.Contains("$12.00", message.TextBody, StringComparison.Ordinal);
        var key = DeliveryRules.MessageKey(ev.EventId, EmailTemplate.LowBalanceAlert, "user:" + world.OwnerUserId);
        Assert.Equal(DeliveryRules.MimeMessageId(key, "example.test"), message.MessageId);
        var outbox = Assert.Single(await fx.OutboxOf(ev.EventId));
        Assert.Equal((OutboxStatus.Sent, 1, key), (outbox.Status, outbox.Attempts, outbox.Id));
    }

    [Fact]
    public async Task With_the_server_down_the_email_waits_and_is_delivered_once_it_is_back_E3()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll(); // the new workspace's own email goes out before the server is taken down
        await fx.Smtp.StopAsync();
        try
        {
            var ev = LowBalance(world, "low-down:" + world.Tag, 3m);
            await fx.Publish(ev);
            await fx.DeliverAll();
            var waiting = Assert.Single(await fx.OutboxOf(ev.EventId));
            Assert.Equal((OutboxStatus.Pending, 1), (waiting.Status, waiting.Attempts));
            Assert.Equal(fx.Clock.GetUtcNow().AddMinutes(1), waiting.NextAttemptAt);
            Assert.NotNull(waiting.LastError);

            await fx.Smtp.StartAgainAsync();
            await fx.DeliverAll();
            Assert.Empty(fx.Smtp.MessagesOf(ev.EventId)); // back-off: not before its due time

            fx.Clock.Advance(TimeSpan.FromMinutes(1));
            await fx.DeliverAll();
            await fx.DeliverAll();
            Assert.Single(fx.Smtp.MessagesOf(ev.EventId));
            var sent = Assert.Single(await fx.OutboxOf(ev.EventId));
            Assert.Equal((OutboxStatus.Sent, 2), (sent.Status, sent.Attempts));
        }
        finally
        {
            await fx.Smtp.StartAgainAsync();
        }
    }

    [Fact]
    public async Task After_the_last_attempt_the_email_is_dead_and_an_operator_retry_delivers_it_E3()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll();
        await fx.Smtp.StopAsync();
        var ev = LowBalance(world, "low-dead:" + world.Tag, 5m);
        OutboxMessageView dead;
        try
        {
            await fx.Publish(ev);
            await fx.DeliverAll();                      // attempt 1
            fx.Clock.Advance(TimeSpan.FromMinutes(1));
            await fx.DeliverAll();                      // attempt 2
            fx.Clock.Advance(TimeSpan.FromMinutes(5));
            await fx.DeliverAll();                      // attempt 3 of 3
            dead = Assert.Single(await fx.OutboxOf(ev.EventId));
            Assert.Equal((OutboxStatus.Dead, 3), (dead.Status, dead.Attempts));
            Assert.Null(dead.NextAttemptAt);
            Assert.NotNull(dead.LastError);

            fx.Clock.Advance(TimeSpan.FromDays(1));
            await fx.DeliverAll();
            Assert.Equal(OutboxStatus.Dead, Assert.Single(await fx.OutboxOf(ev.EventId)).Status); // dead stays dead
        }
        finally
        {
            await fx.Smtp.StartAgainAsync();
        }

        var shard = fx.Client.GetGrain<IOutboxGrain>(OutboxShards.OfMessage(dead.Id)!.Value);
        Assert.Contains(await shard.List(OutboxStatus.Dead, OutboxShards.MaxListLimit), m => m.Id == dead.Id);
        var retried = await shard.Retry(dead.Id);
        Assert.Equal((OutboxStatus.Pending, 0), (retried.Status, retried.Attempts));
        await fx.DeliverAll();

        Assert.Single(fx.Smtp.MessagesOf(ev.EventId));
        Assert.Equal(OutboxStatus.Sent, Assert.Single(await fx.OutboxOf(ev.EventId)).Status);
        var again = await Assert.ThrowsAsync<Billing.Errors.BillingException>(() => shard.Retry(dead.Id));
        Assert.Equal("outbox.message.not-dead", again.Code);
    }

    [Fact]
    public async Task A_message_the_server_refuses_for_good_is_dead_at_once_and_not_retried_E3()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll();
        var owner = NotificationFixture.EmailOf(world.OwnerUserId);
        fx.Smtp.Refuse(owner, 550); // mailbox unavailable: final
        var ev = LowBalance(world, "low-refused:" + world.Tag, 4m);
        try
        {
            await fx.Publish(ev);
            await fx.DeliverAll();
        }
        finally
        {
            fx.Smtp.Accept(owner);
        }

        var dead = Assert.Single(await fx.OutboxOf(ev.EventId));
        Assert.Equal((OutboxStatus.Dead, 1), (dead.Status, dead.Attempts));
        Assert.Null(dead.NextAttemptAt);
        Assert.Contains("550", dead.LastError, StringComparison.Ordinal);

        fx.Clock.Advance(TimeSpan.FromMinutes(6));
        await fx.DeliverAll();
        Assert.Empty(fx.Smtp.MessagesOf(ev.EventId)); // a permanent refusal is not retried by itself
        Assert.Equal(OutboxStatus.Dead, Assert.Single(await fx.OutboxOf(ev.EventId)).Status);
    }

    [Fact]
    public async Task A_message_the_server_refuses_for_now_is_retried_after_the_back_off_E3()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll();
        var owner = NotificationFixture.EmailOf(world.OwnerUserId);
        fx.Smtp.Refuse(owner, 451); // local error: try later
        var ev = LowBalance(world, "low-later:" + world.Tag, 6m);
        try
        {
            await fx.Publish(ev);
            await fx.DeliverAll();
            var waiting = Assert.Single(await fx.OutboxOf(ev.EventId));
            Assert.Equal((OutboxStatus.Pending, 1), (waiting.Status, waiting.Attempts));
            Assert.Equal(fx.Clock.GetUtcNow().AddMinutes(1), waiting.NextAttemptAt);
            Assert.Contains("451", waiting.LastError, StringComparison.Ordinal);
        }
        finally
        {
            fx.Smtp.Accept(owner);
        }

        fx.Clock.Advance(TimeSpan.FromMinutes(1));
        await fx.DeliverAll();
        Assert.Single(fx.Smtp.MessagesOf(ev.EventId));
        var sent = Assert.Single(await fx.OutboxOf(ev.EventId));
        Assert.Equal((OutboxStatus.Sent, 2), (sent.Status, sent.Attempts));
    }

    [Fact]
    public async Task A_plan_switch_mails_each_impacted_app_owner_once_however_many_apps_they_own_W5()
    {
        var world = await fx.NewWorld();
        var twoApps = "multi-" + world.Tag;
        var oneApp = "single-" + world.Tag;
        await fx.RecordUser(twoApps, NotificationFixture.EmailOf(twoApps));
        await fx.RecordUser(oneApp, NotificationFixture.EmailOf(oneApp));
        var ev = new WorkspacePlanSwitched
        {
            EventId = "plan-switch:" + world.Tag, WorkspaceId = world.WorkspaceId, OccurredAt = fx.Clock.GetUtcNow(), WorkspaceName = SampleWorld.WorkspaceName,
            FromType = WorkspaceType.Standard, ToType = WorkspaceType.Enterprise, ToPlan = UsagePlan.Enterprise,
            ImpactedApps = [new("a1", "Billing bot", twoApps), new("a2", "Returns bot", twoApps), new("a3", "FAQ bot", oneApp), new(world.AppId, SampleWorld.AppName, world.OwnerUserId)],
        };
        await fx.Publish(ev);
        await fx.Publish(ev);
        await fx.DeliverAll();

        var received = fx.Smtp.Messages().Where(m => m.Message.Headers[OutboxMail.EventIdHeader] == ev.EventId).ToList();
        Assert.Equal(4, received.Count);
        var toTwoApps = Assert.Single(received, m => m.Recipients.Single() == NotificationFixture.EmailOf(twoApps)).Message;
        Assert.Equal(nameof(EmailTemplate.WorkspacePlanSwitchImpactedApps), toTwoApps.Headers[OutboxMail.TemplateHeader]);
        Assert.Contains("Billing bot, Returns bot", toTwoApps.TextBody, StringComparison.Ordinal);
        Assert.DoesNotContain("FAQ bot", toTwoApps.TextBody, StringComparison.Ordinal);
        Assert.Single(received, m => m.Recipients.Single() == NotificationFixture.EmailOf(oneApp));
        // The workspace owner owns an impacted app too: the switch notice and the impacted-apps email, one each.
        var toOwner = received.Where(m => m.Recipients.Single() == NotificationFixture.EmailOf(world.OwnerUserId)).Select(m => m.Message.Headers[OutboxMail.TemplateHeader]).Order().ToList();
        Assert.Equal([nameof(EmailTemplate.WorkspacePlanSwitch), nameof(EmailTemplate.WorkspacePlanSwitchImpactedApps)], toOwner);
    }

    [Fact]
    public async Task A_recipient_without_a_known_address_is_dead_lettered_with_that_reason()
    {
        var world = await fx.NewWorld();
        var ev = new CreditsPurchased
        {
            EventId = "purchase-nobody:" + world.Tag, WorkspaceId = world.WorkspaceId, OccurredAt = fx.Clock.GetUtcNow(), AppId = world.AppId, AppName = SampleWorld.AppName,
            IsAutoReload = false, PurchasedByUserId = "never-seen-" + world.Tag, PreviousBalanceUsd = 0m, OrderAmountUsd = 10m, CurrentBalanceUsd = 10m,
            AutoReload = new(false, null, null), PaymentMethod = new(PaymentMethodKind.Card, "Visa ending 1111"),
        };
        await fx.Publish(ev);
        await fx.DeliverAll();

        var dead = Assert.Single(await fx.OutboxOf(ev.EventId));
        Assert.Equal(OutboxStatus.Dead, dead.Status);
        Assert.Contains("no known email address", dead.LastError, StringComparison.Ordinal);
        Assert.Empty(fx.Smtp.MessagesOf(ev.EventId));

        // Once the user is known, an operator's retry delivers it.
        await fx.RecordUser(ev.PurchasedByUserId!, NotificationFixture.EmailOf(ev.PurchasedByUserId!));
        await fx.Client.GetGrain<IOutboxGrain>(OutboxShards.OfEvent(ev.EventId)).Retry(dead.Id);
        await fx.DeliverAll();
        Assert.Single(fx.Smtp.MessagesOf(ev.EventId));
    }

    [Fact]
    public async Task The_workspace_created_by_the_grain_mails_its_owner_W1()
    {
        var world = await fx.NewWorld();
        await fx.DeliverAll();

        var message = Assert.Single(fx.Smtp.MessagesOf("workspace-created:" + world.WorkspaceId));
        Assert.Equal(NotificationFixture.EmailOf(world.OwnerUserId), message.To.Mailboxes.Single().Address);
        Assert.Contains("$500.00", message.TextBody, StringComparison.Ordinal);
        Assert.Contains("Hello Ada Owner,", message.TextBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sandbox_test_clock_moved_to_day_90_mails_the_free_credit_expiry_once_C2_E1_E2()
    {
        var world = await fx.NewWorld();
        var message = new ChannelMessage("m-" + world.Tag, world.AppId, "webchat", ChannelClass.Chat, "alice", "kore-alice", fx.Clock.GetUtcNow(), MessageKind.UserMessage);
        Assert.True((await fx.Client.Meter(message)).IsAllowed); // the app runs on free credits
        var clock = fx.Client.GetGrain<Billing.Payments.ITestClockGrain>(world.WorkspaceId);
        var eventId = $"free-credits-exhausted:{world.WorkspaceId}:expired";

        await clock.Advance(TimeSpan.FromDays(89));
        await fx.DeliverAll();
        var atDay89 = fx.Smtp.MessagesOf(eventId);
        await clock.Advance(TimeSpan.FromDays(1));
        await clock.Advance(TimeSpan.FromDays(1)); // nothing falls due a second time
        await fx.DeliverAll();

        Assert.Empty(atDay89);
        var mails = fx.Smtp.MessagesOf(eventId);
        Assert.Equal(2, mails.Count);
        Assert.All(mails, m => Assert.Equal(NotificationFixture.EmailOf(world.OwnerUserId), m.To.Mailboxes.Single().Address));
        var summary = Assert.Single(mails, m => m.Subject == "Free credits of your workspace are exhausted");
        Assert.Contains("have expired", summary.TextBody, StringComparison.Ordinal);
        Assert.Contains("$499.80", summary.TextBody, StringComparison.Ordinal); // forfeited: $500 less the one $0.20 session
        Assert.Single(mails, m => m.Subject == $"{SampleWorld.AppName} has stopped: free credits exhausted");
    }

    private LowBalanceReached LowBalance(SampleWorld world, string eventId, decimal balance) => new()
    {
        EventId = eventId, WorkspaceId = world.WorkspaceId, OccurredAt = fx.Clock.GetUtcNow(), AppId = world.AppId, AppName = SampleWorld.AppName,
        BalanceUsd = balance, LimitUsd = 50m,
    };
}
