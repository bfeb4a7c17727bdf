namespace Messaging.Client;

/// <summary>
/// A gate that can be opened, closed again and failed for good: waiters see the state at the time they wait,
/// or the next opening.
/// </summary>
internal sealed class ResettableSignal
{
    private readonly Lock _lock = new();
    private TaskCompletionSource _source = New();

    public bool IsSet
    {
        get
        {
            lock (_lock)
            {
                return _source.Task.IsCompletedSuccessfully;
            }
        }
    }

    public Task WaitAsync(CancellationToken cancellationToken)
    {
        Task task;
        lock (_lock)
        {
            task = _source.Task;
        }

        return task.WaitAsync(cancellationToken);
    }

    public void Set()
    {
        lock (_lock)
        {
            _source.TrySetResult();
        }
    }

    /// <summary>Closes the gate, unless it has failed for good.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            if (_source.Task.IsCompletedSuccessfully)
            {
                _source = New();
            }
        }
    }

    /// <summary>Every present and future waiter gets <paramref name="exception"/>.</summary>
    public void Fail(Exception exception)
    {
        lock (_lock)
        {
            if (_source.Task.IsCompleted)
            {
                _source = New();
            }

            _source.TrySetException(exception);
            _ = _source.Task.Exception; // observed here, so an unawaited failure is not reported as unobserved
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
