"""Twin of ``scratch.models.lenet``."""
from torch import nn


class LeNet5(nn.Module):
    def __init__(self, num_classes: int = 10, in_channels: int = 1, classic: bool = False):
        super().__init__()
        Act, Pool = (nn.Tanh, nn.AvgPool2d) if classic else (nn.ReLU, nn.MaxPool2d)
        self.classic = classic
        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=2)
        self.act1 = Act()
        self.pool1 = Pool(2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.act2 = Act()
        self.pool2 = Pool(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.act3 = Act()
        self.fc2 = nn.Linear(120, 84)
        self.act4 = Act()
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        h = self.pool1(self.act1(self.conv1(x)))
        h = self.flatten(self.pool2(self.act2(self.conv2(h))))
        return self.fc3(self.act4(self.fc2(self.act3(self.fc1(h)))))
