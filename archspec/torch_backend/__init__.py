"""The torch backend: compiling the IR into nn.Modules."""
